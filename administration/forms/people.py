"""Forms of the référents' account screens (Comptes utilisateurs).

Forms check input; the business rules (scope, own rights, duplicates, limits) live in
``accounts.services`` and come back to the form as errors.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Habilitation,
    Profile,
    User,
    normalize_national_id,
    validate_national_id,
)
from accounts.people import DETAIL_FIELDS
from accounts.scope import Scope
from accounts.services import default_end_date, max_end_date
from core.forms import DateField, IdModelChoiceField, PlainSelect, check_period
from structures.models import Establishment, Unit


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def structure_choices(scope: Scope) -> list[tuple[str, str]]:
    """The structures the person may grant rights on: "e:<id>" establishments, "u:<id>" units.

    An establishment appears when it is administered as a whole (with all its units); a unit
    référent sees their units only.
    """
    establishments = Establishment.objects.filter(is_active=True).only("pk", "name")
    if not scope.is_platform_admin:
        establishments = establishments.filter(pk__in=scope.establishment_ids)
    units = (
        scope.units(Unit.objects.filter(is_active=True, establishment__is_active=True))
        .select_related("establishment")
        .only("pk", "name", "establishment__name")
    )
    choices = [(f"e:{e.pk}", e.name) for e in establishments.order_by("name", "pk")]
    choices += [
        (f"u:{u.pk}", f"{u.name} – {u.establishment.name}")
        for u in units.order_by("establishment__name", "name", "pk")
    ]
    return choices


def resolve_structure(value: str) -> tuple[Establishment, Unit | None] | None:
    """The establishment and unit named by a structure choice, or None."""
    kind, _sep, pk = value.partition(":")
    if not pk.isdigit():
        return None
    if kind == "e":
        establishment = Establishment.objects.filter(pk=pk).first()
        return (establishment, None) if establishment else None
    if kind == "u":
        unit = Unit.objects.select_related("establishment").filter(pk=pk).first()
        return (unit.establishment, unit) if unit else None
    return None


class HabilitationGrantForm(forms.Form):
    profile = IdModelChoiceField(
        label=_("Profile"), queryset=Profile.objects.all(), empty_label=_("Choose a profile")
    )
    structure = forms.ChoiceField(label=_("Structure"), widget=PlainSelect)
    start_date = DateField(label=_("Start date"), widget=DateInput())
    end_date = DateField(
        label=_("End date"),
        required=False,
        widget=DateInput(),
        help_text=_("Left empty: one year after the start date."),
    )

    def __init__(self, *args, scope: Scope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the profiles whose capabilities the person holds somewhere (the service checks
        # the chosen structure).
        cast(forms.ModelChoiceField, self.fields["profile"]).queryset = scope.grantable_profiles()
        self.by_finess = scope.is_platform_admin
        if self.by_finess:
            # Every establishment of the country would make a list of 400,000 structures:
            # platform administrators name the establishment by its FINESS number instead.
            self.fields["structure"] = forms.CharField(
                label=_("Establishment (FINESS number)"),
                max_length=20,
                help_text=_(
                    "The right covers the whole establishment; to limit it to a unit, modify "
                    "it afterwards on the person's page."
                ),
            )
        else:
            cast(forms.ChoiceField, self.fields["structure"]).choices = [
                ("", _("Choose a structure")),
                *structure_choices(scope),
            ]
        today = timezone.localdate()
        self.fields["start_date"].initial = today
        self.fields["end_date"].initial = default_end_date(today)

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        start = cleaned.get("start_date")
        if start and not cleaned.get("end_date"):
            cleaned["end_date"] = default_end_date(start)
        check_period(self, "start_date", "end_date")
        if cleaned.get("structure") and self.by_finess:
            number = cleaned["structure"].strip().upper()
            establishment = Establishment.objects.filter(finess=number, is_active=True).first()
            if establishment is None:
                self.add_error("structure", _("No open establishment has this FINESS number."))
            else:
                cleaned["establishment"], cleaned["unit"] = establishment, None
        elif cleaned.get("structure"):
            resolved = resolve_structure(cleaned["structure"])
            if resolved is None:
                self.add_error("structure", _("Choose a structure from the list."))
            else:
                cleaned["establishment"], cleaned["unit"] = resolved
        return cleaned


class AccountCreateForm(HabilitationGrantForm):
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("The person receives a link at this address to choose their password."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)

    field_order = [
        "last_name",
        "first_name",
        "email",
        "phone",
        "job_title",
        "profile",
        "structure",
        "start_date",
        "end_date",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["phone"].widget.input_type = "tel"


class HabilitationExtendForm(forms.Form):
    end_date = DateField(label=_("New end date"), widget=DateInput())

    def __init__(self, *args, habilitation: Habilitation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit = max_end_date(habilitation)
        self.fields["end_date"].initial = limit
        self.fields["end_date"].widget.attrs["max"] = limit.isoformat()
        self.fields["end_date"].help_text = _("At most %(limit)s.") % {
            "limit": date_format(limit, "SHORT_DATE_FORMAT")
        }


class HabilitationModifyForm(forms.Form):
    profile = IdModelChoiceField(label=_("Profile"), queryset=Profile.objects.all())
    unit = IdModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=None,
        widget=PlainSelect,
    )
    start_date = DateField(label=_("Start date"), widget=DateInput())
    end_date = DateField(label=_("End date"), widget=DateInput())

    def __init__(self, *args, habilitation: Habilitation, scope: Scope, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "profile": habilitation.profile_id,
                "unit": habilitation.unit_id,
                "start_date": habilitation.start_date,
                "end_date": habilitation.end_date,
            },
        )
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["profile"]).queryset = scope.grantable_profiles()
        field = cast(forms.ModelChoiceField, self.fields["unit"])
        field.queryset = scope.units(
            Unit.objects.filter(establishment_id=habilitation.establishment_id, is_active=True)
        ).order_by("name")
        # The whole establishment is a choice only for who administers it as a whole.
        if scope.administers(habilitation.establishment_id):
            field.empty_label = _("The whole establishment")
        field.help_text = _("Within %(establishment)s.") % {
            "establishment": habilitation.establishment.name
        }

    def clean(self) -> dict:
        super().clean()
        check_period(self, "start_date", "end_date")
        return self.cleaned_data


class HabilitationEndForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for ending"),
        max_length=255,
        help_text=_("For example: left the establishment, change of job."),
    )
    # Set by the confirmation page when the structure would be left without its référent.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class UnblockForm(forms.Form):
    """Nothing to enter: the form only carries the CSRF token."""


class PersonDetailsForm(forms.Form):
    """A person's details as a référent corrects them (the login address has its own form)."""

    last_name = forms.CharField(label=_("Last name"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    national_id = forms.CharField(
        label=_("RPPS or ADELI number"),
        # Room for the spaces people type in groups of digits; stored without them.
        max_length=20,
        required=False,
        help_text=_(
            "11 digits (RPPS) or 9 characters (ADELI), for signing in with Pro Santé Connect."
        ),
    )

    def __init__(self, *args, person: User, **kwargs) -> None:
        kwargs.setdefault("initial", {field: getattr(person, field) for field in DETAIL_FIELDS})
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.input_type = "tel"
        self.fields["national_id"].widget.attrs.update(
            {"inputmode": "text", "autocomplete": "off", "spellcheck": "false"}
        )

    def clean_national_id(self) -> str:
        value = normalize_national_id(self.cleaned_data["national_id"])
        if value:
            validate_national_id(value)
        return value


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label=_("New e-mail address"),
        max_length=254,
        help_text=_(
            "A link to confirm it is sent to this address: the account keeps its current "
            "address until the person follows it."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"


class DepartureForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the departure"),
        max_length=255,
        help_text=_("For example: left the establishment, end of internship."),
    )


class ActivationResendForm(forms.Form):
    """Nothing to enter: the form only carries the CSRF token."""


class PeopleFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name, e-mail or RPPS/ADELI number"), max_length=200, required=False
    )
    blocked = forms.BooleanField(label=_("Blocked accounts"), required=False)
    ending_soon = forms.BooleanField(label=_("A right ends within 30 days"), required=False)
    charter_missing = forms.BooleanField(label=_("Current charter not accepted"), required=False)
    dormant = forms.BooleanField(label=_("No sign-in for 90 days"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.input_type = "search"
