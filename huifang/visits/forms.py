"""Forms of the sales-visit pages. Free-text lists (people met, promises, opportunities) are one
entry per line, as a salesperson types them on a phone: "张总 采购部经理", "送样品 2026-11-20"."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from huifang.customers.models import Customer
from huifang.visits import services
from huifang.visits.models import LostReason, Opportunity, VisitChannel

_LINE_DATE = re.compile(r"^(.*?)[\s|｜,，]+(\d{4}-\d{1,2}-\d{1,2})$")


class Styled(forms.Form):
    """Bootstrap's classes on every widget, so the templates render fields as they come."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class PlanItemForm(Styled):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    planned_on = forms.DateField(
        label=_("Planned date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)
    resources = forms.CharField(label=_("Materials and resources"), max_length=200, required=False)
    expenses = forms.DecimalField(
        label=_("Expenses (yuan)"), max_digits=10, decimal_places=2, min_value=Decimal(0), initial=0
    )

    def __init__(self, *args: Any, customers: QuerySet[Customer], month: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.month = month
        field = self.fields["customer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = customers

    def clean_planned_on(self) -> date:
        day: date = self.cleaned_data["planned_on"]
        if day.replace(day=1) != self.month:
            raise forms.ValidationError(_("The date is not in the plan's month."))
        return day


class DecisionForm(Styled):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class LostFields(Styled):
    """The lost-deal report's fields (丢单报告), shared by the visit and the deal-tracking forms."""

    lost_reason = forms.ModelChoiceField(
        label=_("Lost deal: reason"), queryset=LostReason.objects.filter(active=True), required=False
    )
    competitor = forms.CharField(label=_("Competitor"), max_length=100, required=False)
    lost_product = forms.CharField(label=_("Product"), max_length=100, required=False)

    def lost(self) -> services.LostInput | None:
        reason = self.cleaned_data.get("lost_reason")
        if reason is None:
            return None
        return services.LostInput(
            reason=reason,
            competitor=self.cleaned_data.get("competitor", ""),
            product=self.cleaned_data.get("lost_product", ""),
        )


def parse_people(text: str) -> list[services.KeyPerson]:
    people = []
    for line in _lines(text):
        name, _sep, role = line.replace("，", " ").replace(",", " ").partition(" ")
        people.append(services.KeyPerson(name.strip()[:64], role.strip()[:64]))
    return people


class VisitForm(LostFields):
    """The phone-sized visit record: when, who, why, what was found, what was promised."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    visited_at = forms.DateTimeField(
        label=_("Visited at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=VisitChannel.choices, initial=VisitChannel.ON_SITE
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)
    people_met = forms.CharField(
        label=_("Key people met"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("One a line: name and position, e.g. 张伟 采购部经理."),
    )
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    decision_process = forms.CharField(
        label=_("Decision process"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    opportunities = forms.CharField(
        label=_("Opportunities"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("One a line: what, then the product after a “|”."),
    )
    promises = forms.CharField(
        label=_("Promises"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("One a line: what was promised and by when, e.g. 送样品 2026-11-20."),
    )
    file_report = forms.BooleanField(label=_("The visit report is complete"), required=False, initial=True)

    # The lost-deal fields (inherited, so first by default) come last: most visits lose nothing.
    field_order = [
        "customer",
        "visited_at",
        "channel",
        "purpose",
        "people_met",
        "findings",
        "decision_process",
        "opportunities",
        "promises",
        "file_report",
        "lost_reason",
        "competitor",
        "lost_product",
    ]

    def __init__(self, *args: Any, customers: QuerySet[Customer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["customer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = customers

    def clean_promises(self) -> list[services.PromiseInput]:
        out = []
        for line in _lines(self.cleaned_data["promises"]):
            match = _LINE_DATE.match(line)
            if match is None:
                raise forms.ValidationError(
                    _("“%(line)s”: give the date it is due, e.g. 送样品 2026-11-20."), params={"line": line}
                )
            try:
                due = date.fromisoformat("-".join(f"{int(p):02d}" for p in match.group(2).split("-")))
            except ValueError:
                raise forms.ValidationError(
                    _("“%(line)s”: not a real date."), params={"line": line}
                ) from None
            out.append(services.PromiseInput(match.group(1).strip()[:200], due))
        return out

    def clean_opportunities(self) -> list[services.OpportunityInput]:
        out = []
        for line in _lines(self.cleaned_data["opportunities"]):
            title, _sep, product = line.replace("｜", "|").partition("|")
            out.append(services.OpportunityInput(title.strip()[:200], product.strip()[:100]))
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("file_report") and not (data.get("findings") or "").strip():
            self.add_error("findings", _("A report needs the findings."))
        return data


class ReportForm(Styled):
    people_met = forms.CharField(
        label=_("Key people met"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("One a line: name and position, e.g. 张伟 采购部经理."),
    )
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}))
    decision_process = forms.CharField(
        label=_("Decision process"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ReviewForm(Styled):
    comment = forms.CharField(label=_("Supervisor's comment"), widget=forms.Textarea(attrs={"rows": 2}))


class KeepPromiseForm(Styled):
    note = forms.CharField(label=_("How it was kept"), max_length=200, required=False)


class OpportunityForm(LostFields):
    status = forms.ChoiceField(label=_("Status"), choices=Opportunity.Status.choices)
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == Opportunity.Status.LOST and data.get("lost_reason") is None:
            self.add_error("lost_reason", _("A lost deal needs its reason."))
        return data


class WeeklyForm(Styled):
    summary = forms.CharField(label=_("This week"), widget=forms.Textarea(attrs={"rows": 4}))
    next_week = forms.CharField(label=_("Next week's plan"), widget=forms.Textarea(attrs={"rows": 4}))


class RangeForm(Styled):
    start = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The range ends before it starts."))
        return data
