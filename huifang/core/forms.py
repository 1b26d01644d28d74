"""Form helpers shared by every app's forms."""

from __future__ import annotations

from django import forms


def style_fields(form: forms.BaseForm) -> None:
    """Give each widget its Bootstrap 5 class, so templates can render fields as they are."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select"
        else:
            widget.attrs["class"] = "form-control"
