"""The one TOML reader: every shipped data file (presets, questionnaires, metrics, audit presets)
is read here, so a file that cannot be read or parsed always fails the same way, naming the file.

Pure Python, like ``huifang.rules`` (which uses it): no Django, no other app.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


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
