"""Forms of the import pages."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from huifang.events.importing import SUFFIXES
from huifang.events.models import ImportBatch

# A 1,000,000-row events export is about 150 MB as CSV; more than that is not a follow-up list.
MAX_UPLOAD_BYTES = 300 * 1024 * 1024


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("The file holds"),
        choices=ImportBatch.Kind.choices,
        widget=forms.RadioSelect,
        initial=ImportBatch.Kind.EVENTS,
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or GBK, as Excel saves it) or Excel workbook (.xlsx); the first sheet is read."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(sorted(SUFFIXES))}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        suffix = Path(upload.name or "").suffix.lower()
        if suffix not in SUFFIXES:
            raise forms.ValidationError(
                _("Unsupported file type “%(suffix)s”: upload a .csv or .xlsx file."),
                params={"suffix": suffix or "?"},
            )
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 300 MB."))
        if not upload.size:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class ConfirmForm(forms.Form):
    accept_good_rows = forms.BooleanField(
        label=_("Import the good rows only; the bad rows listed above are left out"),
        required=False,
    )
