"""Simplified Chinese first, English complete: every string of the code is in the Chinese catalogue."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import Client

from huifang.conftest import Org

PACKAGE = Path(__file__).resolve().parents[2]


def _untranslated(po_text: str) -> list[str]:
    """msgids of a .po file whose translation is empty or only a fuzzy guess."""
    missing = []
    for block in po_text.split("\n\n"):
        match = re.search(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', block + "\n", re.MULTILINE)
        if not match:
            continue
        key = "".join(re.findall(r'"(.*)"', match.group(1)))
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in block.splitlines())
        if key and (fuzzy or not "".join(re.findall(r'"(.*)"', match.group(2)))):
            missing.append(key)
    return missing


def test_every_string_in_the_code_has_a_chinese_translation(tmp_path: Path) -> None:
    # makemessages on a copy of the package, so the committed catalogue is only read, never written.
    copy = tmp_path / "huifang"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("static", "__pycache__", "*.mo"))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    django_admin = Path(sys.executable).parent / "django-admin"
    subprocess.run(
        [str(django_admin), "makemessages", "-l", "zh_Hans", "--ignore", "*/tests/*", "--no-obsolete", "-v0"],
        cwd=copy,
        env=env,
        check=True,
    )
    po = (copy / "locale/zh_Hans/LC_MESSAGES/django.po").read_text()
    assert _untranslated(po) == []


def test_the_navigation_is_in_chinese_by_default_and_english_on_request(org: Org) -> None:
    client = Client()
    client.force_login(org.east_supervisor)
    chinese = client.get("/").content.decode()
    for label in ["工作台", "客户", "回访任务", "整改/投诉", "报表", "设置"]:
        assert f">{label}</a>" in chinese
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/").content.decode()
    for label in ["Workbench", "Customers", "Follow-ups", "Cases", "Reports", "Settings"]:
        assert f">{label}</a>" in english
    assert "工作台" not in english
    assert settings.LANGUAGE_CODE == "zh-hans"
