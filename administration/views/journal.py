"""Journal: the audit trail of the structures a référent administers, on screen and as CSV.

A référent sees the events of the establishments they administer as a whole and of the units
they administer; a platform administrator sees every event. Anybody else gets 404. Sign-ins are
no change: they are kept out of the list unless asked for (the "Sign-ins" action). How each
event reads is ``administration.journal``'s business.
"""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import SignedInRequest, referent_scope
from accounts.models import start_of_day_after
from accounts.scope import Scope
from administration.journal import (
    SIGNIN_ACTIONS,
    Change,
    actor_name,
    actor_of,
    describe,
    structure_name,
)
from audit.models import AuditEvent
from core.csv import csv_response
from core.forms import DateField, check_period
from core.paging import page_links, page_url
from structures.models import Establishment, Unit

EXPORT_CHUNK_SIZE = 2000
FILTER_PARAMS = ("action", "person", "date_from", "date_to", "structure")

# The action filter's choice for the sign-ins, kept apart from the administrative changes.
SIGNINS = "signin"


class JournalFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        choices=[
            ("", gettext_lazy("All changes")),
            (SIGNINS, gettext_lazy("Sign-ins")),
            *AuditEvent.Action.choices,
        ],
        help_text=gettext_lazy("Sign-ins are listed under “Sign-ins” only."),
    )
    person = forms.CharField(
        label=gettext_lazy("Person concerned"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Name or e-mail address"),
    )
    date_from = DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    structure = forms.ChoiceField(label=gettext_lazy("Structure"), required=False)

    def __init__(self, *args, structures: list | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if structures is None:
            # Platform administrators: every establishment would make an unusable list.
            del self.fields["structure"]
        else:
            structure = cast(forms.ChoiceField, self.fields["structure"])
            structure.choices = [("", _("All my structures")), *structures]

    def clean(self) -> dict[str, Any]:
        super().clean()
        check_period(self, "date_from", "date_to")
        return self.cleaned_data


def events_in_scope(scope: Scope) -> QuerySet[AuditEvent]:
    """Audit events of the scope (``Scope.audit_events``)."""
    return scope.audit_events()


def structure_choices(scope: Scope) -> list | None:
    """The structure filter's choices, grouped by establishment (None for platform admins)."""
    if scope.is_platform_admin:
        return None
    establishments = Establishment.objects.filter(
        pk__in=scope.establishment_ids | scope.unit_establishment_ids
    ).only("pk", "name")
    units = (
        Unit.objects.filter(
            Q(establishment_id__in=scope.establishment_ids) | Q(pk__in=scope.unit_ids)
        )
        .only("pk", "name", "establishment_id")
        .order_by("name", "pk")
    )
    units_of: dict[int, list[tuple[str, str]]] = {}
    for unit in units:
        units_of.setdefault(unit.establishment_id, []).append((f"u{unit.pk}", unit.name))
    groups = []
    for establishment in sorted(establishments, key=lambda e: (e.name, e.pk)):
        options = []
        if establishment.pk in scope.establishment_ids:
            options.append((f"e{establishment.pk}", _("The whole establishment")))
        options.extend(units_of.get(establishment.pk, []))
        groups.append((establishment.name, options))
    return groups


def _filtered(events: QuerySet[AuditEvent], data: dict[str, Any]) -> QuerySet[AuditEvent]:
    action = data.get("action")
    if action == SIGNINS:
        events = events.filter(action__in=SIGNIN_ACTIONS)
    elif action:
        events = events.filter(action=action)
    else:
        # Signing in is no change: hundreds a day would bury the changes.
        events = events.exclude(action__in=SIGNIN_ACTIONS)
    for word in (data.get("person") or "").split()[:5]:
        events = events.filter(
            Q(target_user__last_name__icontains=word)
            | Q(target_user__first_name__icontains=word)
            | Q(target_user__email__icontains=word)
        )
    if data.get("date_from"):
        start = timezone.make_aware(datetime.datetime.combine(data["date_from"], datetime.time()))
        events = events.filter(created_at__gte=start)
    if data.get("date_to"):
        events = events.filter(created_at__lt=start_of_day_after(data["date_to"]))
    structure = data.get("structure") or ""
    # The value was checked against the choices, which only hold structures in scope.
    if structure.startswith("e"):
        events = events.filter(establishment_id=int(structure[1:]))
    elif structure.startswith("u"):
        events = events.filter(unit_id=int(structure[1:]))
    return events.select_related("actor", "target_user", "establishment", "unit")


def _filter_form(request: SignedInRequest, scope: Scope) -> JournalFilterForm:
    return JournalFilterForm(request.GET or None, structures=structure_choices(scope))


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    return [
        {
            "event": event,
            "actor": actor_name(event),
            "action": event.get_action_display(),
            "person": event.target_user.full_name if event.target_user else "",
            "structure": structure_name(event),
            "changes": changes,
        }
        for event, changes in describe(events)
    ]


# --- Views


def events(request: SignedInRequest) -> HttpResponse:
    """Journal: the audit events of the person's structures, filtered and paged."""
    scope = referent_scope(request)
    form = _filter_form(request, scope)
    page = None
    links: dict[str, str] = {}
    query = ""
    if form.is_bound and not form.is_valid():
        rows: list[dict[str, Any]] = []
    else:
        data = form.cleaned_data if form.is_bound else {}
        params = {name: request.GET.get(name, "") for name in FILTER_PARAMS}
        page = Paginator(_filtered(events_in_scope(scope), data), settings.LIST_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        rows = _rows(list(page.object_list))
        links = page_links(page, **params)
        query = _querystring(params)
    return render(
        request,
        "administration/journal/events.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "links": links,
            "export_url": f"{reverse('administration:journal_export')}{query}",
        },
    )


def _querystring(params: dict[str, str]) -> str:
    url = page_url(**params)
    return url if url != "?" else ""


def _csv_rows(events: Iterator[AuditEvent]) -> Iterator[list[object]]:
    # A chunk at a time, so that the names of a chunk are looked up together.
    while chunk := list(itertools.islice(events, EXPORT_CHUNK_SIZE)):
        for event, changes in describe(chunk):
            actor = actor_of(event)
            yield [
                event.created_at,
                actor_name(event),
                actor.email if actor else "",
                event.get_action_display(),
                event.target_user.full_name if event.target_user else "",
                event.target_user.email if event.target_user else "",
                event.establishment.name if event.establishment else "",
                event.establishment.finess if event.establishment else "",
                event.unit.name if event.unit else "",
                _changes_text(changes),
                # For those who need the trail as written: ids and the raw values.
                event.pk,
                event.action,
                event.actor_id,
                event.target_user_id,
                event.establishment_id,
                event.unit_id,
                _json(event.before),
                _json(event.after),
                event.request_id,
            ]


def _changes_text(changes: list[Change]) -> str:
    return " | ".join(str(change) for change in changes)


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False)


_CSV_HEADER = [
    gettext_lazy("Date"),
    gettext_lazy("Actor"),
    gettext_lazy("Actor's e-mail"),
    gettext_lazy("Action"),
    gettext_lazy("Person concerned"),
    gettext_lazy("E-mail of the person concerned"),
    gettext_lazy("Establishment"),
    gettext_lazy("FINESS number"),
    gettext_lazy("Unit"),
    gettext_lazy("Changes"),
    gettext_lazy("Event ID"),
    gettext_lazy("Action code"),
    gettext_lazy("Actor ID"),
    gettext_lazy("Person ID"),
    gettext_lazy("Establishment ID"),
    gettext_lazy("Unit ID"),
    gettext_lazy("Before (JSON)"),
    gettext_lazy("After (JSON)"),
    # Ties the event to the request's log line (empty for scheduled commands).
    gettext_lazy("Request ID"),
]


def export(request: SignedInRequest) -> HttpResponseBase:
    """The filtered events as a CSV file for French Excel, streamed (the trail can be long)."""
    scope = referent_scope(request)
    form = _filter_form(request, scope)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(f"{reverse('administration:journal')}?{request.GET.urlencode()}")
    data = form.cleaned_data if form.is_bound else {}
    events = _filtered(events_in_scope(scope), data).iterator(chunk_size=EXPORT_CHUNK_SIZE)
    return csv_response(
        header=_CSV_HEADER,
        rows=_csv_rows(events),
        filename=f"journal-{timezone.localdate():%Y-%m-%d}.csv",
    )
