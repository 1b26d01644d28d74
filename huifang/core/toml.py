"""The one TOML reader: every shipped data file (presets, questionnaires, metrics, audit presets)
is read here, so a file that cannot be read or parsed always fails the same way, naming the file;
``Table`` reads a parsed table with the checks every format here wants (typed values, the dotted
key of a mistake, no unknown key).

Pure Python, like ``huifang.rules`` (which uses it): no Django, no other app.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, NoReturn, Self


class TomlError(ValueError):
    """A data file that cannot be read or is not valid TOML (the default error of ``read_toml``)."""


def read_toml(path: Path, error: type[ValueError] = TomlError) -> dict[str, Any]:
    """The TOML document in ``path``; ``error`` (naming the file) when it cannot be read or parsed.
    Callers pass their own error class so that their callers catch one kind of error."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path.name}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise error(f"{path.name}: cannot be read: {exc.strerror}") from None


class Table:
    """One table of a TOML document being read: typed getters that name the file and the dotted
    key when they fail, and a final ``done()`` that refuses keys nobody read (a misspelt key would
    otherwise be ignored without a word). Subclasses set ``error`` and add their own getters."""

    error: ClassVar[type[ValueError]] = TomlError

    def __init__(self, data: Mapping[str, Any], *, file: str, where: str = "") -> None:
        self.data = data
        self.file = file
        self.where = where
        self.seen: set[str] = set()

    def path(self, key: str) -> str:
        """The dotted key for errors (``question[satisfaction].options[0].code``); an empty key
        names the table itself."""
        if not key:
            return self.where
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, message: str) -> NoReturn:
        raise self.error(f"{self.file}: {self.path(key)}: {message}")

    def has(self, key: str) -> bool:
        self.seen.add(key)
        return key in self.data

    def get(self, key: str, kind: type | tuple[type, ...], label: str) -> Any:
        """The value under ``key``, which must be of ``kind`` (``label`` says which in words)."""
        self.seen.add(key)
        if key not in self.data:
            self.fail(key, "missing")
        value = self.data[key]
        # bool is an int in Python; a flag where a number is wanted (or the reverse) is a mistake.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            self.fail(key, f"must be {label}, got {value!r}")
        return value

    def text(self, key: str) -> str:
        text: str = self.get(key, str, "text")
        return text

    def text_or(self, key: str, default: str) -> str:
        return self.text(key) if self.has(key) else default

    def flag_or(self, key: str, default: bool) -> bool:
        flag: bool = self.get(key, bool, "true or false") if self.has(key) else default
        return flag

    def texts_or(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        if not self.has(key):
            return default
        items = self.get(key, (list, tuple), "a list of texts")
        if not all(isinstance(item, str) for item in items):
            self.fail(key, f"must be a list of texts, got {items!r}")
        return tuple(items)

    def table(self, key: str) -> Self:
        value = self.get(key, Mapping, "a table")
        return type(self)(value, file=self.file, where=self.path(key))

    def tables(self, key: str) -> list[Self]:
        """The tables of an array of tables; each is named by its ``key`` when it has one."""
        if not self.has(key):
            return []
        items = self.get(key, (list, tuple), "a list of tables")
        tables: list[Self] = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                self.fail(f"{key}[{index}]", f"must be a table, got {item!r}")
            label = item.get("key", index)
            tables.append(type(self)(item, file=self.file, where=f"{self.path(key)}[{label}]"))
        return tables

    def done(self) -> None:
        """Refuse keys nobody read."""
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            self.fail(unknown[0], "unknown key")
