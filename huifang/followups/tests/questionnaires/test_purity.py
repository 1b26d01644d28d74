"""The questionnaire engine is pure like the rules: no Django, no other app, no clock."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import huifang.followups.questionnaires as questionnaires

# The engine is a package by topic: every one of its modules is checked.
SOURCES = sorted(Path(questionnaires.__file__).parent.glob("*.py"))
SOURCE = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)


def test_the_module_imports_neither_django_nor_another_app() -> None:
    assert len(SOURCES) >= 6
    allowed = ("huifang.rules", "huifang.core.toml", "huifang.followups.questionnaires")
    for node in (node for path in SOURCES for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith("django"), name
            assert not name.startswith("huifang.") or name.startswith(allowed), name


def test_the_module_does_not_read_the_clock() -> None:
    assert ".now(" not in SOURCE and ".today(" not in SOURCE and "time.time" not in SOURCE


def test_the_module_imports_in_a_python_where_django_cannot_be_imported() -> None:
    script = """
import sys
class NoDjango:
    def find_spec(self, name, path=None, target=None):
        if name == "django" or name.startswith("django."):
            raise ImportError("django is forbidden here")
        return None
sys.meta_path.insert(0, NoDjango())
from huifang.followups.questionnaires import available_questionnaires, load_questionnaire
for path in available_questionnaires().values():
    load_questionnaire(path)
print("ok")
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "ok"
