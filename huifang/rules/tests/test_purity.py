"""The rule engine is pure: no Django, no other Huifang app, no clock, no global random."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import huifang.rules

PACKAGE = Path(huifang.rules.__file__).resolve().parent
MODULES = sorted(path for path in PACKAGE.glob("*.py"))


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_no_module_of_the_engine_imports_django_or_another_app() -> None:
    assert len(MODULES) >= 10
    for path in MODULES:
        for name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            assert not name.startswith("django"), f"{path.name} imports {name}"
            # The one TOML reader (huifang.core.toml) is pure too, and core is the layer below.
            allowed = ("huifang.rules", "huifang.core.toml")
            assert not name.startswith("huifang.") or name.startswith(allowed), f"{path.name} imports {name}"


def test_no_module_reads_the_clock_or_the_global_random_generator() -> None:
    forbidden_calls = {"now", "today", "utcnow", "time", "monotonic"}
    global_random = {"random", "choice", "choices", "sample", "shuffle", "randint", "seed", "uniform"}
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else ""
            if owner_name in {"datetime", "date", "time"}:
                assert node.func.attr not in forbidden_calls, (
                    f"{path.name} calls {owner_name}.{node.func.attr}"
                )
            if owner_name == "random":
                assert node.func.attr not in global_random, (
                    f"{path.name} uses the global random.{node.func.attr}"
                )


def test_the_engine_imports_in_a_python_where_django_cannot_be_imported() -> None:
    script = """
import sys
class NoDjango:
    def find_spec(self, name, path=None, target=None):
        if name == "django" or name.startswith("django."):
            raise ImportError("django is forbidden in huifang.rules")
        return None
sys.meta_path.insert(0, NoDjango())
import huifang.rules
from huifang.rules import load_preset, available_presets
for name in available_presets():
    load_preset(name)
assert not any(module == "django" or module.startswith("django.") for module in sys.modules)
print("ok")
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "ok"
