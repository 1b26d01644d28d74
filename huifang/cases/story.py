"""Cases' part of a customer's story (``customers.selectors.timeline``): each case the reader may
see. Registered in ``CasesConfig.ready``."""

from __future__ import annotations

from django.urls import reverse

from huifang.accounts.models import Staff
from huifang.cases.selectors import cases_for
from huifang.customers.models import Customer
from huifang.customers.selectors import STORY_LIMIT, TimelineEntry


def cases_story(customer: Customer, user: Staff) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            case.opened_at,
            "case",
            f"{case.get_kind_display()}: {case.title}",
            str(case.get_status_display()),
            reverse("cases:detail", args=[case.pk]),
        )
        for case in cases_for(user).filter(customer=customer).order_by("-opened_at")[:STORY_LIMIT]
    ]
