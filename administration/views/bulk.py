"""Bulk actions on Comptes utilisateurs and the person page: prolonger or terminer many rights.

The référent ticks people on the accounts list (or "all N people" the filter shows), or rights
on a person's page, and chooses Prolonger or Terminer. The GET is the confirmation: how many
rights, whose (the first names and how many more), the date or the reason to give. Its POST
applies through ``accounts.bulk`` and answers with what was done and every right refused
with its reason. What is selected is read through the scope: an id outside it is dropped
without a word, so that a forged one tells nothing (the page is that of an unknown id).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import bulk
from accounts.access import SignedInRequest, referent_scope
from accounts.models import Habilitation, User, open_condition
from accounts.scope import Scope
from administration.forms.bulk import BulkEndForm, BulkExtendForm, Selection
from administration.views.people import _filter_people

# The people named on the confirmation page; the others are counted.
NAMES_SHOWN = 20


def selected_rights(scope: Scope, selection: Selection) -> QuerySet[Habilitation]:
    """The rights a selection names, in the scope: the open rights of the people selected (or
    of everyone the accounts list shows with the selection's filter, by the list's own
    ``_filter_people``) and the rights ticked by id, whatever their state (an ended one is
    refused with its reason)."""
    condition = Q(pk__in=selection.rights)
    if selection.everyone:
        people = _filter_people(scope, scope.people(), selection.filters)
        condition |= open_condition(timezone.localdate()) & Q(user__in=people.values("pk"))
    elif selection.people:
        condition |= open_condition(timezone.localdate()) & Q(user_id__in=selection.people)
    return scope.habilitations().filter(condition)


def _summary(rights: QuerySet[Habilitation]) -> dict[str, Any]:
    count = rights.count()
    summary: dict[str, Any] = {
        "count": count,
        "people_count": 0,
        "people": [],
        "more": 0,
        "rights": [],
        "referent_rights": 0,
    }
    if not count or count > settings.BULK_MAX_RIGHTS:
        return summary  # nothing to confirm: spare the queries (all the country's people)
    people = User.objects.filter(pk__in=rights.values("user_id"))
    summary["people_count"] = people.count()
    summary["people"] = list(people.order_by("last_name", "first_name", "pk")[:NAMES_SHOWN])
    summary["more"] = summary["people_count"] - len(summary["people"])
    if summary["people_count"] == 1:
        # One person (a person page's rights): their rights are listed too.
        summary["rights"] = list(
            rights.select_related("profile", "establishment", "unit").order_by(
                "establishment__name", "unit__name", "profile__order", "pk"
            )[:NAMES_SHOWN]
        )
    summary["referent_rights"] = rights.filter(profile__administers_accounts=True).count()
    return summary


def _way_back(selection: Selection, people: list[User]) -> dict[str, str]:
    """The person's page for the rights ticked there, the accounts list (filtered) otherwise."""
    if not selection.names_people and len(people) == 1:
        return {
            "back_url": reverse("administration:person", args=[people[0].pk]),
            "back_label": _("Back to the account"),
        }
    query = selection.list_query()
    return {
        "back_url": reverse("administration:people") + (f"?{query}" if query else ""),
        "back_label": _("Back to the accounts"),
    }


def _page(
    request: SignedInRequest,
    kind: str,
    selection: Selection,
    rights: QuerySet[Habilitation],
    form: Form,
) -> HttpResponse:
    """The confirmation page of a bulk action (``kind``: "extend" or "end")."""
    summary = _summary(rights)
    return render(
        request,
        f"administration/people/bulk_{kind}.html",
        {
            "form": form,
            "summary": summary,
            "selection": selection,
            "selection_fields": selection.fields(),
            "too_many": bulk.too_many_message(summary["count"])
            if summary["count"] > settings.BULK_MAX_RIGHTS
            else None,
            **_way_back(selection, summary["people"]),
        },
    )


def _result(
    request: SignedInRequest,
    kind: str,
    selection: Selection,
    result: bulk.BulkResult,
    **context: Any,
) -> HttpResponse:
    refused = sorted(
        result.refused,
        key=lambda refusal: (
            refusal.habilitation.user.last_name,
            refusal.habilitation.user.first_name,
            refusal.habilitation.user_id,
            refusal.habilitation.pk,
        ),
    )
    people = {right.user_id: right.user for right in result.done}
    people.update({refusal.habilitation.user_id: refusal.habilitation.user for refusal in refused})
    return render(
        request,
        "administration/people/bulk_result.html",
        {
            "kind": kind,
            "result": result,
            "refused": refused,
            **_way_back(selection, list(people.values())),
            **context,
        },
    )


def _selection(request: SignedInRequest) -> Selection:
    return Selection.from_data(request.POST if request.method == "POST" else request.GET)


def _changed(form: Form) -> None:
    form.add_error(
        None,
        _(
            "The selection changed since this page was shown (a right ended, or a person no "
            "longer matches the filter): check the new count and confirm again."
        ),
    )


def bulk_extend(request: SignedInRequest) -> HttpResponse:
    """Prolonger the selected rights to one date."""
    scope = referent_scope(request)
    selection = _selection(request)
    rights = selected_rights(scope, selection)
    form = BulkExtendForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        end_date = form.cleaned_data["end_date"]
        try:
            result = bulk.habilitations_extend(
                actor=request.user,
                habilitations=rights,
                end_date=end_date,
                expected=form.cleaned_data["expected"],
                request=request,
                scope=scope,
            )
        except bulk.SelectionChangedError:
            _changed(form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _result(request, "extend", selection, result, end_date=end_date)
    return _page(request, "extend", selection, rights, form)


def bulk_end(request: SignedInRequest) -> HttpResponse:
    """Terminer the selected rights now, with one reason."""
    scope = referent_scope(request)
    selection = _selection(request)
    rights = selected_rights(scope, selection)
    form = BulkEndForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = bulk.habilitations_end(
                actor=request.user,
                habilitations=rights,
                reason=form.cleaned_data["reason"],
                expected=form.cleaned_data["expected"],
                request=request,
                scope=scope,
            )
        except bulk.SelectionChangedError:
            _changed(form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _result(request, "end", selection, result)
    return _page(request, "end", selection, rights, form)
