"""Operations: what composes the apps below it — the tick's list of steps, hand-over of a book,
the demo, and the commands that run the system (``serve``, ``web``, ``worker``, ``tick``,
``backup``, ``demo``). It sits above every domain app and below the web shell
(docs/architecture.md, "layers")."""
