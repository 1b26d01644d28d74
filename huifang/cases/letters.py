"""Public letters (公开信, R6.4): the draft text from a common issue's facts, and the PDF.

The PDF is WeasyPrint's rendering of the same HTML page the customers see, with the CJK font
(Noto Sans CJK from Debian's fonts-noto-cjk) embedded as a subset, so it prints anywhere.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from huifang.cases.models import PublicLetter


def draft_text(facts: dict[str, Any]) -> tuple[str, str]:
    """Title and body of a letter about ``facts`` (``services.letter_facts``), in the active
    language, for the supervisor to edit."""
    title = _("Public letter on %(issue)s") % {"issue": facts["issue"]}
    when = facts["action_date"].isoformat() if facts["action_date"] else _("(date to be filled in)")
    paragraphs = [
        _("Dear residents and customers,"),
        _(
            "Recently %(customers)d customers told us about the following matter: %(issue)s. "
            "Thank you for telling us; we owe you an answer."
        )
        % {"customers": facts["customers"], "issue": facts["issue"]},
        _("What caused it: %(cause)s") % {"cause": facts["cause"] or _("(cause to be filled in)")},
        _("What we have done: %(action)s (from %(date)s).")
        % {"action": facts["action"] or _("(action to be filled in)"), "date": when},
        _("If the matter is not resolved for you, please call our service hotline; we will follow it up."),
    ]
    return title, "\n\n".join(paragraphs)


def letter_html(letter: PublicLetter, *, base_url: str = "") -> str:
    return render_to_string("cases/letter_print.html", {"letter": letter, "base_url": base_url})


def letter_pdf(letter: PublicLetter) -> bytes:
    """The letter as a PDF with its CJK font embedded."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=letter_html(letter)).write_pdf()
    return pdf
