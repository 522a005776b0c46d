"""Forms of the staff file import (Comptes utilisateurs > Import a file)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from administration.imports.files import (
    XLSX_CONTENT_TYPE,
    ImportFileError,
    Table,
    read_table,
    too_large_message,
)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Staff file"),
        help_text=_("CSV (separated by “;” or “,”) or Excel workbook (.xlsx), first sheet."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.table: Table | None = None
        self.fields["file"].widget.attrs["accept"] = f".csv,.xlsx,text/csv,{XLSX_CONTENT_TYPE}"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(too_large_message(limit))
        try:
            self.table = read_table(
                upload.read(limit + 1),
                upload.name or "",
                max_bytes=limit,
                max_rows=settings.IMPORT_MAX_ROWS,
            )
        except ImportFileError as error:
            raise ValidationError(error.message) from error
        return upload


class ImportConfirmForm(forms.Form):
    """Nothing to enter: applying or cancelling the file only carries the CSRF token."""
