"""Every setting the code reads is declared in ``huifang/settings.py`` with its default, and read
when it is used, so that a deployment's value and a test's ``settings`` fixture both take effect."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path
from typing import Any

import huifang
from huifang.followups.services import callback_grace, claim_timeout
from huifang.webhooks.services import backoff

PACKAGE = Path(huifang.__file__).resolve().parent
SETTINGS_FILE = PACKAGE / "settings.py"
# Django's own way to name the user model in a field: read once by design.
READ_AT_IMPORT_BY_DESIGN = {"AUTH_USER_MODEL"}


def _modules() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
        and not any(part.startswith("tests") for part in path.parts)
        and path.name != "conftest.py"
        and path != SETTINGS_FILE
    ]


def _read(node: ast.AST) -> str | None:
    """The setting a node reads: ``settings.NAME`` or ``getattr(settings, "NAME", …)``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "settings":
        return node.attr if node.attr.isupper() else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == "settings"
        and isinstance(node.args[1], ast.Constant)
    ):
        return str(node.args[1].value)
    return None


def _reads_outside_functions(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return  # read when called
        name = _read(node)
        if name is not None:
            found.append((getattr(node, "lineno", 0), name))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_every_huifang_setting_the_code_reads_is_declared_in_settings_py() -> None:
    declared = {
        target.id
        for node in ast.parse(SETTINGS_FILE.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    read = {
        (path.relative_to(PACKAGE).as_posix(), name)
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if (name := _read(node)) is not None and name.startswith("HUIFANG_")
    }
    assert read, "the scan found no setting at all"
    assert sorted((where, name) for where, name in read if name not in declared) == []


def test_no_module_reads_a_setting_when_it_is_imported() -> None:
    at_import = [
        f"{path.relative_to(PACKAGE).as_posix()}:{line} {name}"
        for path in _modules()
        for line, name in _reads_outside_functions(ast.parse(path.read_text(encoding="utf-8")))
        if name not in READ_AT_IMPORT_BY_DESIGN
    ]
    assert at_import == []


def test_the_queue_and_webhook_timings_follow_the_settings_of_the_moment(settings: Any) -> None:
    settings.HUIFANG_CLAIM_TIMEOUT_MINUTES = 5
    settings.HUIFANG_CALLBACK_GRACE_MINUTES = 45
    settings.HUIFANG_WEBHOOK_BACKOFF = 2
    assert claim_timeout() == timedelta(minutes=5)
    assert callback_grace() == timedelta(minutes=45)
    assert backoff(2) == timedelta(seconds=8)
