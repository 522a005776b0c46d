"""Revue des habilitations: every right of a director's establishment(s), filtered, sorted,
summarised and exported.

Directors read the habilitations of the establishments they hold the director profile on;
platform administrators choose one establishment first ("all of France" is not a table).
Anybody else gets 404, and so does an establishment the director does not review.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import SignedInRequest, reviewer_scope
from accounts.models import Habilitation
from accounts.scope import Scope
from core.csv import csv_response
from core.paging import page_links, page_url
from reviews import selectors
from reviews.forms import EstablishmentSearchForm, ReviewFilterForm
from structures.models import Establishment
from structures.selectors import establishment_search

EXPORT_CHUNK_SIZE = 2000
_ID = re.compile(r"[0-9]{1,18}")

# The sortable columns, in the table's order: (``tri`` key, header).
SORTABLE_COLUMNS = [
    ("personne", gettext_lazy("Person")),
    ("profil", gettext_lazy("Profile")),
    ("unite", gettext_lazy("Unit")),
    ("debut", gettext_lazy("Start date")),
    ("fin", gettext_lazy("End date")),
    ("statut", gettext_lazy("Status")),
    ("connexion", gettext_lazy("Last sign-in")),
]


# --- Access helpers


@dataclass(frozen=True)
class Selection:
    """The establishments shown, and those a director may switch between."""

    establishments: list[Establishment]
    # A director's establishments (None for platform administrators).
    choices: list[Establishment] | None
    # The establishment asked for in the query string (None: all of a director's).
    chosen: Establishment | None

    @property
    def ids(self) -> list[int]:
        return [establishment.pk for establishment in self.establishments]


def _selection(request: SignedInRequest, scope: Scope) -> Selection | None:
    """The establishments to show; None when a platform administrator has not chosen one.

    An ``etablissement`` the person does not review is 404 (so is a malformed one).
    """
    raw = request.GET.get("etablissement", "")
    if raw and not _ID.fullmatch(raw):
        raise Http404
    if scope.is_platform_admin:
        if not raw:
            return None
        establishment = get_object_or_404(Establishment, pk=int(raw))
        return Selection([establishment], None, establishment)
    reviewable = scope.reviewable_establishment_ids
    if raw and int(raw) not in reviewable:
        raise Http404
    mine = list(Establishment.objects.filter(pk__in=reviewable).order_by("name", "pk"))
    if raw:
        chosen = next(e for e in mine if e.pk == int(raw))
        return Selection([chosen], mine, chosen)
    return Selection(mine, mine, None)


def _rows(scope: Scope, selection: Selection) -> QuerySet[Habilitation]:
    return selectors.review_rows(
        scope.reviewed_habilitations().filter(establishment_id__in=selection.ids),
        charter_id=selectors.current_charter_id(),
    )


def _form(request: SignedInRequest, scope: Scope, selection: Selection) -> ReviewFilterForm:
    # Always bound: every field is optional, so no parameter at all is a valid, empty filter.
    return ReviewFilterForm(
        request.GET,
        establishments=selection.establishments,
        establishment_choices=selection.choices,
        scope=scope,
    )


def _params(selection: Selection, form: ReviewFilterForm) -> dict[str, str]:
    """The query parameters that reproduce the current table (for links), without the page."""
    data = form.cleaned_data
    params = {
        "etablissement": str(selection.chosen.pk) if selection.chosen else "",
        "q": data.get("q") or "",
        "statut": data.get("statut") or "",
        "fin": data.get("fin") or "",
        "profil": str(data["profil"].pk) if data.get("profil") else "",
        "unite": str(data["unite"].pk) if data.get("unite") else "",
        "dormant": "1" if data.get("dormant") else "",
        "bloque": "1" if data.get("bloque") else "",
        "charte": "1" if data.get("charte") else "",
        "tri": data["tri"] if data.get("tri") != selectors.DEFAULT_SORT else "",
    }
    return {name: value for name, value in params.items() if value}


def _querystring(**params: Any) -> str:
    url = page_url(**params)
    return url if url != "?" else ""


def _sort_headers(params: dict[str, str]) -> list[dict[str, str]]:
    """Each sortable column's link (reversing the order when already sorted on it)."""
    current = params.get("tri", selectors.DEFAULT_SORT)
    others = {name: value for name, value in params.items() if name != "tri"}
    headers = []
    for key, label in SORTABLE_COLUMNS:
        if current == key:
            sort, aria_sort = f"-{key}", "ascending"
        elif current == f"-{key}":
            sort, aria_sort = key, "descending"
        else:
            sort, aria_sort = key, ""
        headers.append(
            {
                "key": key,
                "label": str(label),
                # "?" and not "": an empty href would keep the current query string.
                "url": page_url(**others, tri=sort if sort != selectors.DEFAULT_SORT else ""),
                "aria_sort": aria_sort,
            }
        )
    return headers


def _summary_links(selection: Selection) -> dict[str, str]:
    """The summary numbers link to the table filtered the same way."""
    base = {"etablissement": selection.chosen.pk if selection.chosen else ""}
    return {
        "active": _querystring(**base, statut=selectors.ACTIVE),
        "ending_soon": _querystring(**base, fin=settings.ENDING_SOON_DAYS),
        "blocked_people": _querystring(**base, statut=selectors.ACTIVE, bloque=1),
        "charter_pending_people": _querystring(**base, statut=selectors.ACTIVE, charte=1),
    }


# --- Views


def table(request: SignedInRequest) -> HttpResponse:
    """Revue des habilitations: the table of every right of the chosen establishment(s)."""
    scope = reviewer_scope(request)
    selection = _selection(request, scope)
    if selection is None:
        return _choose_establishment(request)
    form = _form(request, scope, selection)
    rows = _rows(scope, selection)
    summary = selectors.summary_for_page(rows, scope, selection.ids)
    page = None
    links: dict[str, str] = {}
    headers: list[dict[str, str]] = []
    export_url = ""
    sort = ""
    if form.is_valid():
        params = _params(selection, form)
        queryset = selectors.sort_rows(
            selectors.filter_rows(rows, form.filters()), form.cleaned_data["tri"]
        ).select_related("user", "profile", "establishment", "unit", "granted_by")
        page = Paginator(queryset, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
        links = page_links(page, **params)
        headers = _sort_headers(params)
        sort = params.get("tri", "")
        export_url = reverse("reviews:export") + _querystring(**params)
    return render(
        request,
        "reviews/table.html",
        {
            "form": form,
            "selection": selection,
            "several": len(selection.establishments) > 1,
            "summary": summary,
            "summary_links": _summary_links(selection),
            "page": page,
            "links": links,
            "headers": headers,
            "export_url": export_url,
            "sort": sort,
            "dormant_days": settings.DORMANT_DAYS,
            "ending_days": settings.ENDING_SOON_DAYS,
        },
    )


def _choose_establishment(request: SignedInRequest) -> HttpResponse:
    """Platform administrators: search the establishment to review, by name or FINESS."""
    form = EstablishmentSearchForm(request.GET)
    form.is_valid()  # a too long query is just left out
    query = (form.cleaned_data.get("q") or "").strip()
    page = establishment_search(query, page=request.GET.get("page"))
    return render(
        request,
        "reviews/choose_establishment.html",
        {
            "form": form,
            "query": query,
            "page": page,
            "links": page_links(page, q=query),
        },
    )


_EXPORT_HEADER = [
    gettext_lazy("Last name"),
    gettext_lazy("First name"),
    gettext_lazy("E-mail"),
    gettext_lazy("Profile"),
    gettext_lazy("Establishment"),
    gettext_lazy("FINESS number"),
    gettext_lazy("Unit"),
    gettext_lazy("Start date"),
    gettext_lazy("End date"),
    gettext_lazy("Status"),
    gettext_lazy("Granted by"),
    gettext_lazy("Last sign-in"),
    gettext_lazy("Blocked"),
    gettext_lazy("Charter accepted"),
]
_EXPORT_FIELDS = (
    "user__last_name",
    "user__first_name",
    "user__email",
    "profile__name",
    "establishment__name",
    "establishment__finess",
    "unit__name",
    "start_date",
    "end_date",
    "review_status",
    "granted_by__last_name",
    "granted_by__first_name",
    "user__last_login",
    "user__blocked_at",
    "charter_accepted",
)


def _export_rows(values: Iterable[tuple[Any, ...]]) -> Iterator[list[object]]:
    """One CSV row per ``_EXPORT_FIELDS`` tuple (translated while streaming)."""
    yes, no = _("yes"), _("no")
    for (
        last_name,
        first_name,
        email,
        profile,
        establishment,
        finess,
        unit,
        start,
        end,
        status,
        granter_last_name,
        granter_first_name,
        last_login,
        blocked_at,
        charter_accepted,
    ) in values:
        granted_by = (
            f"{granter_last_name.upper()} {granter_first_name}".strip()
            if granter_last_name is not None
            else ""
        )
        yield [
            last_name.upper(),
            first_name,
            email,
            profile,
            establishment,
            finess,
            unit or "",
            start,
            end,
            str(Habilitation.Status(status).label),
            granted_by,
            last_login,
            yes if blocked_at is not None else no,
            yes if charter_accepted else no,
        ]


def _export_filename(selection: Selection) -> str:
    today = f"{timezone.localdate():%Y-%m-%d}"
    if selection.chosen is None and len(selection.establishments) != 1:
        return f"revue-habilitations-{today}.csv"
    establishment = selection.establishments[0]
    name = slugify(establishment.name)[:60].strip("-")
    return f"revue-habilitations-{establishment.finess}-{name}-{today}.csv"


def export(request: SignedInRequest) -> HttpResponseBase:
    """The filtered, sorted table as a CSV file for French Excel, streamed: an establishment may
    hold 100,000 rights, read by chunks and never all in memory."""
    scope = reviewer_scope(request)
    selection = _selection(request, scope)
    if selection is None:
        return redirect("reviews:table")
    form = _form(request, scope, selection)
    if not form.is_valid():
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(f"{reverse('reviews:table')}?{request.GET.urlencode()}")
    values = (
        selectors.sort_rows(
            selectors.filter_rows(_rows(scope, selection), form.filters()),
            form.cleaned_data["tri"],
        )
        .values_list(*_EXPORT_FIELDS)
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
    return csv_response(
        header=_EXPORT_HEADER, rows=_export_rows(values), filename=_export_filename(selection)
    )
