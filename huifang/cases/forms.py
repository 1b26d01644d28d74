"""Forms of the cases pages: the steps of a case (one small form each), complaint intake, the
board's filter and grouping, a common issue's facts and its public letter.

The forms check what a request must carry (a cause *and* an action, a written reason, a customer
in the user's scope); what the case's state allows is the service's to decide, and its refusal is
shown as the form's error.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huifang.accounts.models import OrgUnit, Staff
from huifang.accounts.scope import scoped, visible_units
from huifang.accounts.selectors import staff_in_scope
from huifang.cases.models import Case, CaseKind, CommonIssue, IntakeChannel, Level
from huifang.core.forms import style_fields
from huifang.customers.models import Customer
from huifang.events.models import Event

# The channels a complaint comes in by (R7.1); the other intake channels are the system's own.
COMPLAINT_CHANNELS = [
    (code, label)
    for code, label in IntakeChannel.choices
    if code not in (IntakeChannel.FOLLOWUP, IntakeChannel.QUALITY)
]


def _text(label: Any, *, rows: int = 3, required: bool = True, placeholder: Any = "") -> forms.CharField:
    attrs: dict[str, Any] = {"rows": rows}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.CharField(
        label=label, max_length=4000, required=required, widget=forms.Textarea(attrs=attrs)
    )


class CaseStepForm(forms.Form):
    """A step on one case by one user; each knows both, for its choices and initial values."""

    def __init__(self, *args: Any, user: Staff, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.case = user, case
        style_fields(self)


class ResolveForm(CaseStepForm):
    """The handler's root cause and corrective action: both are needed before the loop goes on."""

    cause = _text(_("Cause"), placeholder=_("Why it went wrong, as found on site"))
    action = _text(_("Action taken"), placeholder=_("What was done about it, and by whom"))


class UnresolvableForm(CaseStepForm):
    reason = _text(_("Reason"), rows=2, placeholder=_("Why the case cannot be put right"))


class AssignForm(CaseStepForm):
    """Another handler or department; an empty handler leaves it to the department's pool."""

    handler = forms.ModelChoiceField(
        label=_("Handler"), queryset=Staff.objects.none(), required=False, empty_label=_("The department")
    )
    unit = forms.ModelChoiceField(
        label=_("Responsible department"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("Keep the department"),
    )
    note = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, user: Staff, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, user=user, case=case, **kwargs)
        self.fields["handler"].queryset = staff_in_scope(user)  # type: ignore[attr-defined]
        self.fields["unit"].queryset = visible_units(user)  # type: ignore[attr-defined]
        self.fields["handler"].initial = case.handler_id

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        handler, unit = data.get("handler"), data.get("unit")
        if handler is not None and unit is not None and handler.unit_id != unit.pk:
            raise forms.ValidationError(_("The handler does not work in that department."))
        return data


class VerifyForm(CaseStepForm):
    """Classify and verify a complaint: its level may change here (and with it the deadline)."""

    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    note = _text(_("What was verified"), rows=2, required=False)

    def __init__(self, *args: Any, user: Staff, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, user=user, case=case, **kwargs)
        self.fields["level"].initial = case.level or Level.GENERAL


class PlanForm(CaseStepForm):
    plan = _text(_("Handling plan"), rows=4)


class ApproveForm(CaseStepForm):
    """The general manager's approval of a major complaint's plan: a button, no fields."""


class ReplyForm(CaseStepForm):
    reply = _text(_("Reply to the customer"), rows=4)


class PauseForm(CaseStepForm):
    reason = forms.CharField(
        label=_("Waiting for"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the customer is away until Friday")}),
    )


class ResumeForm(CaseStepForm):
    """Start the clock again: a button, no fields."""


class ArchiveForm(CaseStepForm):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class CorrectiveCheckForm(CaseStepForm):
    """The quality department's verdict on a corrective action, given by the button pressed."""

    effective = forms.TypedChoiceField(
        choices=[("1", _("Effective")), ("0", _("Not effective"))],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )
    note = _text(_("What the check found"), rows=2, required=False)


class ComplaintForm(forms.Form):
    """A complaint as the person who receives it records it (R7.1–R7.3). The customer is looked
    up by number within the receiver's part of the organisation; the order, by its number among
    that customer's orders."""

    channel = forms.ChoiceField(
        label=pgettext_lazy("complaint", "Channel"), choices=COMPLAINT_CHANNELS, initial=IntakeChannel.HOTLINE
    )
    level = forms.ChoiceField(
        label=_("Level"),
        choices=Level.choices,
        initial=Level.GENERAL,
        help_text=_(
            "General: attitude, wording, after-sales — phone reply within 3 working days. "
            "Major: violations, misuse of company resources — visit and written reply within 10. "
            "Other: layout, environment, quality — recorded and transferred."
        ),
    )
    customer_ref = forms.CharField(
        label=_("Customer number"),
        max_length=64,
        required=False,
        help_text=_("Leave empty for a complaint without a known customer."),
    )
    event_ref = forms.CharField(
        label=_("Order number"),
        max_length=64,
        required=False,
        help_text=_("Optional: the order complained about."),
    )
    title = forms.CharField(label=_("Subject"), max_length=200)
    words = _text(_("The customer's words"), rows=4, placeholder=_("As the customer said it"))
    category = forms.CharField(label=_("Category"), max_length=64, required=False)
    unit = forms.ModelChoiceField(
        label=_("Responsible department"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("The order's or the customer's department"),
    )
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    written_reply_only = forms.BooleanField(label=_("Written reply only, no calls"), required=False)

    def __init__(self, *args: Any, user: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"].queryset = visible_units(user)  # type: ignore[attr-defined]
        style_fields(self)

    def customers(self) -> QuerySet[Customer]:
        """The customers the receiver may record a complaint for: their part of the organisation
        (an agent at the hotline takes calls for the whole department, not only their own book)."""
        return scoped(Customer.objects.all(), self.user, owner_field=None)

    def clean_customer_ref(self) -> Customer | None:
        ref: str = self.cleaned_data["customer_ref"].strip()
        if not ref:
            return None
        customer = self.customers().filter(ref=ref).first()
        if customer is None:
            raise forms.ValidationError(_("No customer with this number in your part of the organisation."))
        return customer

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ref = data.get("event_ref", "").strip()
        data["event"] = None
        if ref:
            customer = data.get("customer_ref")
            if customer is None:
                if "customer_ref" not in self.errors:
                    self.add_error("event_ref", _("An order needs the customer's number."))
                return data
            event = Event.objects.filter(customer=customer, external_id=ref).order_by("-completed_at").first()
            if event is None:
                self.add_error("event_ref", _("This customer has no order with this number."))
            data["event"] = event
        return data


class BoardFilterForm(forms.Form):
    """What the board narrows by: codes only."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *CaseKind.choices], required=False
    )
    level = forms.ChoiceField(
        label=_("Level"), choices=[("", _("All levels")), *Level.choices], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


class GroupForm(forms.Form):
    """Put the ticked cases under a new common issue, or under one that exists."""

    cases = forms.ModelMultipleChoiceField(queryset=Case.objects.none())
    title = forms.CharField(label=_("New common issue"), max_length=200, required=False)
    issue = forms.ModelChoiceField(
        label=_("or add to"),
        queryset=CommonIssue.objects.none(),
        required=False,
        empty_label=_("(a new issue)"),
    )

    def __init__(
        self, *args: Any, cases: QuerySet[Case], issues: QuerySet[CommonIssue], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = cases  # type: ignore[attr-defined]
        self.fields["issue"].queryset = issues  # type: ignore[attr-defined]
        style_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("issue") and not data.get("title", "").strip():
            raise forms.ValidationError(_("Name the common issue, or choose one to add the cases to."))
        return data


class IssueForm(forms.Form):
    """A common issue's own facts, what its public letter says (``services.edit_issue``)."""

    title = forms.CharField(label=_("Issue"), max_length=200)
    cause = _text(_("Cause"), required=False)
    action = _text(_("Action"), required=False)
    action_date = forms.DateField(
        label=_("Action date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


class LetterForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 14}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)
