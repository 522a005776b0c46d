"""Forms of the bulk actions (Comptes utilisateurs: prolonger or terminer many rights).

What is selected travels with every step as plain fields, so that no JavaScript is needed:
``people`` (ticked on the accounts list: their open rights in the référent's scope are the
targets), ``rights`` (ticked on a person's page), or ``all`` with the accounts list's filter
(``q``, ``blocked``…: every person that filter lists). The rules stay in ``accounts.bulk``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from administration.forms.people import DateInput, PeopleFilterForm
from core.converters import parse_id
from core.forms import DateField

# The most ids one selection names (a page of the accounts list has LIST_PAGE_SIZE people).
MAX_IDS = 1000


def _ids(values: Iterable[str]) -> tuple[int, ...]:
    """The ids among ``values``, once each; what cannot be an id is ignored."""
    ids = dict.fromkeys(pk for pk in map(parse_id, values) if pk is not None)
    return tuple(ids)[:MAX_IDS]


@dataclass(frozen=True)
class Selection:
    """What the référent selected."""

    people: tuple[int, ...] = ()
    rights: tuple[int, ...] = ()
    # Every person the accounts list shows with ``filters`` (its form's non-empty values).
    everyone: bool = False
    filters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: QueryDict) -> Selection:
        everyone = data.get("all") == "1"
        filters: dict[str, Any] = {}
        if everyone:
            form = PeopleFilterForm(data)
            if form.is_valid():
                filters = {name: value for name, value in form.cleaned_data.items() if value}
            else:
                # A filter the list could not apply selects nobody rather than everybody.
                everyone = False
        return cls(
            people=_ids(data.getlist("people")),
            rights=_ids(data.getlist("rights")),
            everyone=everyone,
            filters=filters,
        )

    @property
    def names_people(self) -> bool:
        """Whether the targets include the open rights of people (not only rights by id)."""
        return self.everyone or bool(self.people)

    def fields(self) -> list[tuple[str, str]]:
        """The selection as the hidden fields of the confirmation's form."""
        pairs = [("people", str(pk)) for pk in self.people]
        pairs += [("rights", str(pk)) for pk in self.rights]
        if self.everyone:
            pairs.append(("all", "1"))
            pairs += [(name, _field_value(value)) for name, value in self.filters.items()]
        return pairs

    def list_query(self) -> str:
        """The accounts list's query string with this selection's filter (the way back)."""
        return urlencode({name: _field_value(value) for name, value in self.filters.items()})


def _field_value(value: Any) -> str:
    return "on" if value is True else str(value)


class BulkExtendForm(forms.Form):
    end_date = DateField(label=_("New end date"), widget=DateInput())
    # The number of rights the confirmation showed (``accounts.bulk.SelectionChangedError``).
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        days = settings.HABILITATION_MAX_EXTENSION_DAYS
        # Within the limit of every right: it counts from the later of its end and today.
        self.fields["end_date"].initial = timezone.localdate() + datetime.timedelta(days=days)
        self.fields["end_date"].help_text = _(
            "Each right can be extended by %(days)s days at most, counted from the later of "
            "its end date and today."
        ) % {"days": days}


class BulkEndForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for ending"),
        max_length=255,
        help_text=_("For example: left the establishment, end of internship."),
    )
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
