"""Forms of the directors' review screens: the table's filters and the establishment search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Habilitation, Profile
from accounts.scope import Scope
from core.forms import PlainSelect
from reviews import selectors
from structures.models import Establishment, Unit

STATUS_CHOICES = [("", _("All statuses")), *Habilitation.Status.choices]


def _ending_within(days: int) -> str:
    return gettext("Ending within %(days)d days") % {"days": days}


def _dormant_label(days: int) -> str:
    return gettext("Dormant accounts (no sign-in for %(days)d days)") % {"days": days}


# Translated when shown, in the language of the request (not at import).
_ending_within_lazy = lazy(_ending_within, str)
_dormant_label_lazy = lazy(_dormant_label, str)

ENDING_CHOICES = [
    ("", _("Any end date")),
    *((str(days), _ending_within_lazy(days)) for days in selectors.ENDING_WITHIN_DAYS),
]


class UnitChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, with_establishment: bool = False, **kwargs) -> None:
        self.with_establishment = with_establishment
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Unit) -> str:
        if self.with_establishment:
            return f"{obj.name} – {obj.establishment.name}"
        return obj.name


class ReviewFilterForm(forms.Form):
    """The table's filters. The establishment is checked by the view (404 out of scope) before
    the form sees it; its field only lets a director of several establishments switch."""

    etablissement = forms.ChoiceField(label=_("Establishment"), required=False)
    # The accounts list's search (accounts.selectors.people_matching), on the rights' holders.
    q = forms.CharField(label=_("Name or e-mail"), max_length=200, required=False)
    statut = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    fin = forms.ChoiceField(label=_("Ending within"), required=False, choices=ENDING_CHOICES)
    profil = forms.ModelChoiceField(
        label=_("Profile"),
        required=False,
        queryset=Profile.objects.all(),
        empty_label=_("All profiles"),
    )
    unite = UnitChoiceField(
        label=_("Unit"),
        required=False,
        queryset=Unit.objects.none(),
        empty_label=_("All units"),
        widget=PlainSelect,
    )
    dormant = forms.BooleanField(
        label=_dormant_label_lazy(settings.DORMANT_DAYS),
        required=False,
    )
    bloque = forms.BooleanField(label=_("Blocked accounts"), required=False)
    charte = forms.BooleanField(label=_("Charter not accepted"), required=False)
    # Set by the column headers' links, never typed: an unknown value sorts by person.
    tri = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        establishments: Sequence[Establishment],
        establishment_choices: Sequence[Establishment] | None = None,
        scope: Scope | None = None,
        **kwargs,
    ) -> None:
        """``establishments``: those shown; ``establishment_choices``: those a director may
        switch between (None or a single one: no establishment field); ``scope``: the reviewer's,
        which limits the units offered to those they review."""
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.input_type = "search"
        if establishment_choices is not None and len(establishment_choices) > 1:
            cast(forms.ChoiceField, self.fields["etablissement"]).choices = [
                ("", _("All my establishments")),
                *((str(e.pk), e.name) for e in establishment_choices),
            ]
        else:
            del self.fields["etablissement"]
        # The units of every establishment the director may switch to, so that switching
        # establishment with a unit chosen shows an empty table rather than an error.
        unit_establishments = establishment_choices or establishments
        unit_field = cast(UnitChoiceField, self.fields["unite"])
        units = Unit.objects.filter(establishment__in=[e.pk for e in unit_establishments])
        if scope is not None:
            units = scope.reviewed_units(units)
        unit_field.queryset = (
            units.select_related("establishment")
            .only("pk", "name", "establishment_id", "establishment__name")
            .order_by("establishment__name", "name", "pk")
        )
        unit_field.with_establishment = len(unit_establishments) > 1

    def clean_tri(self) -> str:
        sort = self.cleaned_data.get("tri") or ""
        return sort if sort in selectors.SORTS else selectors.DEFAULT_SORT

    def filters(self) -> dict[str, Any]:
        """The cleaned filters, without the establishment and the sort."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("etablissement", "tri")
        }


class EstablishmentSearchForm(forms.Form):
    """Platform administrators choose one establishment: "all of France" is not a table."""

    q = forms.CharField(
        label=_("Establishment"),
        max_length=200,
        required=False,
        help_text=_("Name, city or FINESS number"),
    )
