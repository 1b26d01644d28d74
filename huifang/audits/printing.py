"""Bulletins as PDF (the region posts it on its notice board): WeasyPrint's rendering of the print
page, with the CJK font embedded, as ``cases.letters`` does for public letters."""

from __future__ import annotations

from django.template.loader import render_to_string

from huifang.audits.models import Bulletin


def bulletin_html(bulletin: Bulletin) -> str:
    return render_to_string("audits/bulletin_print.html", {"item": bulletin})


def bulletin_pdf(bulletin: Bulletin) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=bulletin_html(bulletin)).write_pdf()
    return pdf
