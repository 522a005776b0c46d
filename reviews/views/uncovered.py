"""Structures sans référent: establishments and units that no référent of their own serves.

An establishment is listed when it has no active référent on the establishment itself (unit
référents manage their unit only). A unit is listed when it has no active référent of its own:
its establishment's référents serve it then, if there are any (``establishment_covered``).
The truly uncovered structures come first (nobody serves them: neither a référent of their own
nor one of their establishment), with their own count and filter; the units their
establishment's référents serve come after. Each row says when the structure's last référent
right ended (the latest of its past référent habilitations, each ending at its end date or the
day it was ended early, whichever came first), or that it never had one.

Directors see their establishment(s); platform administrators choose a region first (there may
be 100,000 establishments), and see which regions have no support desk of their own. Anybody
else gets 404. The list is one SQL query per page (a UNION of establishments and units with
subqueries) and one count per situation, whatever its length.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator

from django import forms
from django.conf import settings
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Least, TruncDate
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import SignedInRequest, reviewer_scope
from accounts.models import Habilitation
from accounts.scope import Scope
from core.csv import csv_response
from core.paging import CountedPaginator, page_links, page_url
from structures.models import Establishment, Region, Unit

# The ``situation`` filter: nobody serves the structure, or its establishment's référents do.
NOBODY, INHERITED = "personne", "etablissement"


class RegionForm(forms.Form):
    region = forms.ModelChoiceField(
        label=gettext_lazy("Region"),
        queryset=Region.objects.order_by("name"),
        to_field_name="code",
        empty_label=gettext_lazy("Choose a region"),
    )


class SituationForm(forms.Form):
    situation = forms.ChoiceField(
        label=gettext_lazy("Situation"),
        required=False,
        choices=[
            ("", gettext_lazy("All structures")),
            (NOBODY, gettext_lazy("Nobody serves them")),
            (INHERITED, gettext_lazy("Served by their establishment’s referents")),
        ],
    )

    def chosen(self) -> str:
        """The chosen situation; a forged value shows everything."""
        return self.cleaned_data["situation"] if self.is_valid() else ""


# --- The query


def _last_referent_end(structure_filter: Q, on: datetime.date) -> Subquery:
    """The day the structure's last past référent right ended, as a subquery."""
    ended_on = Least(F("end_date"), Coalesce(TruncDate("ended_at"), F("end_date")))
    past = (
        Habilitation.objects.referents()
        .filter(structure_filter)
        .filter(Q(ended_at__isnull=False) | Q(end_date__lt=on))
        .annotate(ended_on=ended_on)
        .order_by("-ended_on")
        .values("ended_on")[:1]
    )
    return Subquery(past, output_field=DateField())


def uncovered_structures(
    establishments: QuerySet[Establishment],
    on: datetime.date,
    units: QuerySet[Unit] | None = None,
    situation: str = "",
) -> QuerySet:
    """Rows (dicts) of the open establishments among ``establishments`` without an active
    référent of their own, and of their open units without one: those nobody serves first
    (``establishment_covered`` false), then the units their establishment's référents serve;
    each part sorted by establishment then unit (the establishment's own row first).
    ``units``: further units to look at, outside those establishments (a unit's director sees
    that unit, not its establishment). ``situation``: ``NOBODY`` or ``INHERITED`` keeps one
    part."""
    active = Habilitation.objects.active_on(on).referents().filter(user__is_active=True)
    establishment_has_referent = Exists(
        active.filter(establishment_id=OuterRef("pk"), unit__isnull=True)
    )
    establishment_rows = (
        establishments.filter(is_active=True)
        .alias(covered=establishment_has_referent)
        .filter(covered=False)
        .order_by()  # the models' default ordering is not allowed inside a UNION
        .values(
            establishment_pk=F("pk"),
            establishment_name=F("name"),
            finess_number=F("finess"),
            rank=Value(0, output_field=IntegerField()),
            unit_pk=Value(None, output_field=BigIntegerField()),
            unit_name=Value("", output_field=CharField()),
            establishment_covered=Value(False, output_field=BooleanField()),
            last_end=_last_referent_end(Q(establishment_id=OuterRef("pk"), unit__isnull=True), on),
        )
    )
    in_establishments = Q(establishment__in=establishments.values("pk"))
    if units is not None:
        in_establishments |= Q(pk__in=units.values("pk"))
    unit_rows = (
        Unit.objects.filter(in_establishments, is_active=True, establishment__is_active=True)
        .alias(covered=Exists(active.filter(unit_id=OuterRef("pk"))))
        .filter(covered=False)
        .order_by()
        .values(
            establishment_pk=F("establishment_id"),
            establishment_name=F("establishment__name"),
            finess_number=F("establishment__finess"),
            rank=Value(1, output_field=IntegerField()),
            unit_pk=F("pk"),
            unit_name=F("name"),
            establishment_covered=Exists(
                active.filter(establishment_id=OuterRef("establishment_id"), unit__isnull=True)
            ),
            last_end=_last_referent_end(Q(unit_id=OuterRef("pk")), on),
        )
    )
    # ``establishment_covered`` is a column of ``values()``, which django-stubs cannot see.
    if situation == INHERITED:
        return unit_rows.filter(establishment_covered=True).order_by(  # type: ignore[misc]
            "establishment_name", "establishment_pk", "unit_name", "unit_pk"
        )
    if situation == NOBODY:
        unit_rows = unit_rows.filter(establishment_covered=False)  # type: ignore[misc]
    return establishment_rows.union(unit_rows, all=True).order_by(
        "establishment_covered",
        "establishment_name",
        "establishment_pk",
        "rank",
        "unit_name",
        "unit_pk",
    )


# --- Access


def _structures(request: SignedInRequest, scope: Scope) -> tuple[dict | None, RegionForm]:
    """The structures to look at (``uncovered_structures`` arguments): a director's own
    establishments and units, or the chosen region's (admins); None while an administrator
    has not chosen a valid region."""
    form = RegionForm(request.GET if "region" in request.GET else None)
    if not scope.is_platform_admin:
        structures = {
            "establishments": Establishment.objects.filter(pk__in=scope.reviewed_establishment_ids),
            "units": Unit.objects.filter(pk__in=scope.reviewed_unit_ids),
        }
        return structures, form
    if not form.is_valid():
        return None, form
    region = form.cleaned_data["region"]
    return {"establishments": Establishment.objects.filter(departement__region=region)}, form


# --- The views


def uncovered_list(request: SignedInRequest) -> HttpResponse:
    """Structures sans référent."""
    scope = reviewer_scope(request)
    structures, form = _structures(request, scope)
    situation_form = SituationForm(request.GET)
    situation = situation_form.chosen()
    context: dict = {
        "form": form,
        "situation_form": situation_form,
        "choose_region": scope.is_platform_admin,
        "page": None,
    }
    if scope.is_platform_admin:
        context["regions_without_desk"] = Region.objects.filter(support_email="").order_by("name")
        context["support_name"] = settings.SUPPORT_NAME
    if structures is not None:
        today = timezone.localdate()
        counts = {
            part: uncovered_structures(on=today, situation=part, **structures).count()
            for part in (NOBODY, INHERITED)
        }
        rows = uncovered_structures(on=today, situation=situation, **structures)
        shown = counts[situation] if situation else counts[NOBODY] + counts[INHERITED]
        page = CountedPaginator(rows, settings.LIST_PAGE_SIZE, lambda: shown).get_page(
            request.GET.get("page")
        )
        params = {"region": form.cleaned_data["region"].code} if scope.is_platform_admin else {}
        params["situation"] = situation
        context.update(
            page=page,
            counts=counts,
            total=counts[NOBODY] + counts[INHERITED],
            situation=situation,
            region_code=params.get("region", ""),
            links=page_links(page, **params),
            export_url=page_url(reverse("reviews:uncovered_export"), **params),
            region=form.cleaned_data["region"] if scope.is_platform_admin else None,
        )
    return render(request, "reviews/uncovered/list.html", context)


def _situation(row: dict) -> str:
    if row["rank"] == 0:
        return _("Establishment without a referent")
    if row["establishment_covered"]:
        return _("Unit served by its establishment’s referents")
    return _("Unit without a referent, nor its establishment")


def _export_rows(rows: Iterable[dict]) -> Iterator[list[object]]:
    for row in rows:
        yield [
            row["establishment_name"],
            row["finess_number"],
            row["unit_name"],
            _situation(row),
            row["last_end"] if row["last_end"] else _("Never had one"),
        ]


def uncovered_export(request: SignedInRequest) -> HttpResponseBase:
    """The same list as a CSV file for French Excel (all pages)."""
    scope = reviewer_scope(request)
    structures, form = _structures(request, scope)
    if structures is None:
        # An administrator exports one region at a time, chosen on the list first.
        return redirect("reviews:uncovered")
    situation = SituationForm(request.GET).chosen()
    rows = uncovered_structures(on=timezone.localdate(), situation=situation, **structures)
    region = form.cleaned_data["region"].code if scope.is_platform_admin else ""
    filename = f"structures-sans-referent{f'-{region}' if region else ''}"
    return csv_response(
        header=[
            gettext_lazy("Establishment"),
            gettext_lazy("FINESS number"),
            gettext_lazy("Unit"),
            gettext_lazy("Situation"),
            gettext_lazy("Last referent right ended on"),
        ],
        rows=_export_rows(rows.iterator()),
        filename=f"{filename}-{timezone.localdate():%Y-%m-%d}.csv",
    )
