"""The package's one build step besides setuptools' own: compile the translation catalogues.

The ``.mo`` files are build output (not committed). Compiling them here, with Babel as a build
requirement (pyproject.toml), puts them inside every wheel, so an installed Huifang speaks Chinese
from its first start without GNU gettext on the server. ``make messages`` still compiles them
with Django's ``compilemessages`` for the editable development install.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE_DIR = Path(__file__).resolve().parent / "huifang" / "locale"


def compile_catalogues() -> None:
    """Each ``locale/<lang>/LC_MESSAGES/*.po`` → the ``.mo`` beside it (fuzzy entries left out,
    as msgfmt does)."""
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=None, domain=po_path.stem)
        with po_path.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)


class BuildWithCatalogues(build_py):
    """``build_py`` that compiles the catalogues before it collects the package data."""

    def finalize_options(self) -> None:
        # The package data (and so the .mo files) is listed from here on: compile them first.
        compile_catalogues()
        super().finalize_options()


setup(cmdclass={"build_py": BuildWithCatalogues})
