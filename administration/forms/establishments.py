"""Forms of the establishments area: the directory sheet ("fiche annuaire") and the units.

Plain forms rather than model forms: the services read the locked row and apply only what
changed, so the view never mutates the object it loaded.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from structures.models import Sector

# Overseas calling codes whose national numbers are written 0 + 9 digits, like mainland ones:
# +262 262 12 34 56 is 02 62 12 34 56 (La Réunion).
_OVERSEAS_CODES = ("262", "269", "508", "590", "594", "596", "689", "687", "681")
_SEPARATORS = re.compile(r"[\s.\-]")
_NATIONAL = re.compile(r"^0[1-9][0-9]{8}$")

PHONE_HELP = _("A French number: 10 digits (05 61 23 45 67) or +33 5 61 23 45 67.")


def normalize_french_phone(value: str) -> str:
    """A French phone number, written "05 61 23 45 67"; raises ValidationError otherwise.

    Spaces, dots and dashes are allowed between digits; +33 (and the overseas calling codes)
    stand for the leading 0.
    """
    digits = _SEPARATORS.sub("", value or "")
    overseas = digits[:1] == "+" and digits[1:4] in _OVERSEAS_CODES and len(digits) == 13
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033") or overseas:
        digits = "0" + digits[4:]
    if not _NATIONAL.match(digits):
        raise ValidationError(
            _(
                "Enter a French phone number: 10 digits starting with 0 (spaces or dots "
                "allowed), or +33 followed by 9 digits."
            ),
            code="invalid_phone",
        )
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


class FrenchPhoneField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", PHONE_HELP)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value: str) -> str:
        value = super().clean(value)
        return normalize_french_phone(value) if value else ""


class VersionField(forms.CharField):
    """The version of the row the person saw, so that a stale form cannot undo a newer edit."""

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, widget=forms.HiddenInput, max_length=64, **kwargs)


class EstablishmentSheetForm(forms.Form):
    """The locally owned fields of the directory sheet (``Establishment.SHEET_FIELDS``)."""

    phone = FrenchPhoneField(label=_("Phone"))
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    website = forms.URLField(
        label=_("Website"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("For example https://www.ch-exemple.fr"),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the establishment does, its specialities, for the people it serves."),
    )
    access_info = forms.CharField(
        label=_("Access information"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Entrance, parking, public transport, opening hours."),
    )
    version = VersionField()


class UnitForm(forms.Form):
    """A unit's name, code and contacts. Unit référents get no code field (``with_code``)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(
        label=_("Code"),
        required=False,
        max_length=30,
        help_text=_("Optional: the unit's internal code (its functional unit number)."),
    )
    phone = FrenchPhoneField(label=_("Phone"))
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    version = VersionField()

    def __init__(self, *args, with_code: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not with_code:
            del self.fields["code"]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter the unit's name."), code="required")
        return name


class EstablishmentSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    secteur = forms.ChoiceField(
        label=_("Sector"),
        required=False,
        choices=[("", _("All sectors")), *Sector.choices],
    )
