"""The reply letter to all owners (客户意见调查回复函, R9.3), in the shape of seed 004's: how
many questionnaires came back, the satisfaction of every item, then the improvement plan for the
weakest items, and the invitation to go on giving opinions. The PDF is WeasyPrint's rendering of
the same page, with the CJK font embedded, as ``cases/letters.py`` does for public letters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huifang.campaigns.models import Campaign, ReplyLetter
from huifang.campaigns.selectors import ItemResult, Results, results

# Items under this satisfaction get a plan in the letter (the seed's three were 62–74 %), and at
# least the weakest three.
WEAK_BELOW = 0.8
WEAK_AT_LEAST = 3


@dataclass
class Letter:
    campaign: Campaign
    results: Results
    intro: str
    weak: list[tuple[ItemResult, str]]
    closing: str
    published: Any

    @property
    def rows(self) -> list[tuple[ItemResult | None, ItemResult | None]]:
        """The items two to a line, as the seed's table has them."""
        items = [i for i in self.results.items if i.answers]
        return [(items[n], items[n + 1] if n + 1 < len(items) else None) for n in range(0, len(items), 2)]


def weak_items(found: Results) -> list[ItemResult]:
    rated = [i for i in found.items if i.satisfaction_rate is not None]
    ordered = sorted(rated, key=lambda i: (i.satisfaction_rate or 0.0, i.key))
    weak = [i for i in ordered if (i.satisfaction_rate or 0.0) < WEAK_BELOW]
    return weak if len(weak) >= WEAK_AT_LEAST else ordered[:WEAK_AT_LEAST]


def draft(campaign: Campaign) -> Letter:
    """The letter from the results and the saved plans (a placeholder where none is written)."""
    with translation.override("zh-hans"):
        found = results(campaign)
        saved: ReplyLetter | None = ReplyLetter.objects.filter(campaign=campaign).first()
        plans = saved.plans if saved else {}
        intro = _(
            "To hear your valuable opinions on the property management of %(unit)s and improve our "
            "work, we handed out a questionnaire from %(opens)s; %(returned)d questionnaires have come "
            "back so far. Thank you sincerely for your support and your opinions."
        ) % {
            "unit": campaign.unit.name,
            "opens": f"{campaign.opens.year}年{campaign.opens.month}月",
            "returned": found.returned,
        }
        weak = [
            (item, plans.get(item.key) or _("(improvement plan to be filled in)"))
            for item in weak_items(found)
        ]
        closing = (saved.closing if saved and saved.closing else "") or _(
            "Owners and tenants are welcome to go on telling us how we can improve; we will keep "
            "working to raise the standard of our property management."
        )
        return Letter(
            campaign=campaign,
            results=found,
            intro=intro,
            weak=weak,
            closing=closing,
            published=saved.published_at if saved else None,
        )


def letter_html(letter: Letter) -> str:
    with translation.override("zh-hans"):
        return render_to_string(
            "campaigns/letter_print.html", {"letter": letter, "today": timezone.localdate()}
        )


def letter_pdf(letter: Letter) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=letter_html(letter)).write_pdf()
    return pdf
