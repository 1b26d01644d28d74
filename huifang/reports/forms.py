"""Forms of the report pages: which report, over which days, grouped how; the dashboard's range
and granularity; a subscription. A range longer than ``selectors.MAX_DAYS`` is refused here, so
an ad-hoc huge range never runs in a request (``huifang report`` runs any range)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.core.forms import style_fields
from huifang.followups.binding import month_to_date
from huifang.reports.models import Subscription
from huifang.reports.presentation import TITLES
from huifang.reports.selectors import MAX_DAYS

BY_CHOICES = [
    ("", _("Whole scope")),
    ("region", _("By region")),
    ("category", _("By category")),
    ("agent", _("By agent")),
]
GRANULARITY = [("day", _("By day")), ("week", _("By week")), ("month", _("By month"))]


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def since_first(start: date, end: date, *, since: date | None, today: date) -> tuple[date, date]:
    """A default range that does not reach back before ``since``, where the figures begin
    (``selectors.first_day``: the go-live): the days before it have the imported orders but no
    follow-up work, so they would be empty rows, month columns and trend points. A range wholly
    before it becomes the days since it. What the user chooses is never changed (the page says
    where the figures begin)."""
    if since is None or since <= start:
        return start, end
    if since <= end:
        return since, end
    return since, max(since, today)


def default_range(report: str, today: date, *, since: date | None = None) -> tuple[date, date]:
    """What a report page shows before the user chooses: the last seven days by day, the last
    eight weeks, the previous whole month (this month so far when the organisation started this
    month), this month so far for the assessment (the previous month until a working day of this
    one is over: ``month_to_date``); none of them before ``since``."""
    if report == "daily":
        start, end = today - timedelta(days=6), today
    elif report == "weekly":
        monday = today - timedelta(days=today.weekday())
        start, end = monday - timedelta(weeks=7), today
    elif report == "monthly":
        last = month_start(today) - timedelta(days=1)
        start, end = month_start(last), last
    else:
        start, end = month_to_date(today)
    return since_first(start, end, since=since, today=today)


def _check_range(form: forms.Form, start: date | None, end: date | None) -> None:
    if start is None or end is None:
        return
    if end < start:
        form.add_error("end", _("The last day comes before the first."))
    elif (end - start).days + 1 > MAX_DAYS:
        form.add_error(
            "end",
            _(
                "A report covers at most %(max)d days; this range has %(days)d. Choose a shorter "
                "range (huifang report on the command line runs any range)."
            )
            % {"max": MAX_DAYS, "days": (end - start).days + 1},
        )


class ReportForm(forms.Form):
    """Which report over which days: the monthly report covers whole months."""

    report = forms.ChoiceField(label=_("Report"), choices=list(TITLES.items()))
    start = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(label=_("Grouped"), choices=BY_CHOICES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    @classmethod
    def from_query(
        cls, query: Any, *, today: date, report: str = "monthly", since: date | None = None
    ) -> ReportForm:
        """The form bound to the page's query, with the defaults of ``report`` for what it lacks
        (not before ``since``, where the figures begin)."""
        chosen = query.get("report") or report
        start, end = default_range(chosen if chosen in TITLES else report, today, since=since)
        data = {
            "report": chosen,
            "start": query.get("start") or start.isoformat(),
            "end": query.get("end") or end.isoformat(),
            "by": query.get("by", "region" if chosen == "daily" else ""),
        }
        return cls(data)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if data.get("report") == "monthly" and start and end:
            data["start"], data["end"] = month_start(start), month_end(end)
        _check_range(self, data.get("start"), data.get("end"))
        data["by"] = data.get("by") or None
        return data


class DashboardForm(forms.Form):
    start = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    granularity = forms.ChoiceField(label=_("Trend"), choices=GRANULARITY)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    @classmethod
    def from_query(cls, query: Any, *, today: date, since: date | None = None) -> DashboardForm:
        """By default the last three whole months and this one, week by week; not before
        ``since``, where the figures begin (the weeks before it would be empty points)."""
        start = month_start(month_start(today) - timedelta(days=62))
        start, _end = since_first(start, today, since=since, today=today)
        return cls(
            {
                "start": query.get("start") or start.isoformat(),
                "end": query.get("end") or today.isoformat(),
                "granularity": query.get("granularity") or "week",
            }
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_range(self, data.get("start"), data.get("end"))
        return data


class RangeForm(DashboardForm):
    """An agent's page: the range only."""

    granularity = None  # type: ignore[assignment]

    @classmethod
    def from_query(cls, query: Any, *, today: date, since: date | None = None) -> RangeForm:
        """By default the last six months, this one included, from ``since`` (where the agent's
        figures begin) when that is later: a newer agent or organisation has no empty months."""
        start = month_start(today)
        for _month in range(5):
            start = month_start(start - timedelta(days=1))
        start, _end = since_first(start, today, since=since, today=today)
        return cls(
            {"start": query.get("start") or start.isoformat(), "end": query.get("end") or today.isoformat()}
        )


class SubscriptionForm(forms.ModelForm[Subscription]):
    class Meta:
        model = Subscription
        fields = ["report", "by", "format"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)
