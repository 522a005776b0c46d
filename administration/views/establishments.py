"""Établissements: the référent's establishments, their directory sheet and their units.

Everything is loaded through the person's Scope: an establishment or unit outside it is 404,
and so is the whole area for someone who administers nothing (staff, directors).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import SignedInRequest, referent_scope
from accounts.scope import Scope
from administration import services
from administration.forms.establishments import (
    EstablishmentSearchForm,
    EstablishmentSheetForm,
    UnitForm,
)
from core.paging import page_links
from structures.models import Establishment, Sector, Unit
from structures.selectors import search_words


def _establishment_for(request: SignedInRequest, pk: int) -> tuple[Scope, Establishment]:
    scope = referent_scope(request)
    establishment = get_object_or_404(
        scope.establishments(
            Establishment.objects.select_related("legal_entity", "departement__region")
        ),
        pk=pk,
    )
    return scope, establishment


def _unit_for(request: SignedInRequest, pk: int, unit_pk: int) -> tuple[Scope, Unit]:
    scope, establishment = _establishment_for(request, pk)
    unit = get_object_or_404(scope.units(establishment.units.all()), pk=unit_pk)
    unit.establishment = establishment
    return scope, unit


def _manages_units(scope: Scope, establishment: Establishment) -> bool:
    """Creating and deactivating units is for référents of the whole establishment."""
    return scope.administers(establishment.pk)


def _establishments_matching(
    queryset: QuerySet[Establishment], query: str
) -> QuerySet[Establishment]:
    """Each word starts a word of the folded name, city, postcode or FINESS, or is in the address.

    The address is not in ``search_text``, hence the plain substring match on it.
    """
    for word in search_words(query):
        queryset = queryset.filter(
            Q(search_text__startswith=word)
            | Q(search_text__contains=f" {word}")
            | Q(address__icontains=word)
        )
    return queryset


def establishment_list(request: SignedInRequest) -> HttpResponse:
    """Établissements: the establishments the person administers (whole, or some units of)."""
    scope = referent_scope(request)
    form = EstablishmentSearchForm(request.GET)
    form.is_valid()  # an invalid filter (unknown sector, too long a query) is just left out
    query = form.cleaned_data.get("q", "").strip()
    sector = form.cleaned_data.get("secteur", "")
    queryset = scope.establishments().select_related("departement")
    if query:
        queryset = _establishments_matching(queryset, query)
    if sector:
        queryset = queryset.filter(sector=sector)
    queryset = queryset.annotate(
        active_units=Count("units", filter=Q(units__is_active=True))
    ).order_by("name", "pk")
    page = Paginator(queryset, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "administration/establishments/establishment_list.html",
        {
            "page": page,
            "establishments": page.object_list,
            "links": page_links(page, q=query, secteur=sector),
            "query": query,
            "sector": sector,
            "sectors": Sector.choices,
            "filtered": bool(query or sector),
        },
    )


def establishment_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    """Fiche annuaire: the directory sheet (editable by the establishment's référents), the
    FINESS data (read-only) and the units."""
    scope, establishment = _establishment_for(request, pk)
    can_edit = scope.administers(establishment.pk)
    form = None
    if can_edit:
        if request.method == "POST":
            form = EstablishmentSheetForm(request.POST)
            if form.is_valid():
                try:
                    changed = services.establishment_sheet_update(
                        actor=request.user,
                        establishment=establishment,
                        data=form.cleaned_data,
                        request=request,
                        seen_version=form.cleaned_data["version"],
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    if changed:
                        messages.success(request, _("The directory sheet has been saved."))
                    else:
                        messages.info(request, _("Nothing changed: there was nothing to save."))
                    return redirect("administration:establishment", pk=establishment.pk)
        else:
            form = EstablishmentSheetForm(
                initial={
                    **{name: getattr(establishment, name) for name in Establishment.SHEET_FIELDS},
                    "version": services.row_version(establishment.sheet_updated_at),
                }
            )
    elif request.method == "POST":
        raise Http404
    units = scope.units(establishment.units.all()).order_by("-is_active", "name", "pk")
    return render(
        request,
        "administration/establishments/establishment_detail.html",
        {
            "establishment": establishment,
            "form": form,
            "can_edit": can_edit,
            "can_manage_units": _manages_units(scope, establishment),
            "units": units,
        },
    )


def unit_create(request: SignedInRequest, pk: int) -> HttpResponse:
    """Add a unit to an establishment (référents of the whole establishment)."""
    scope, establishment = _establishment_for(request, pk)
    if not _manages_units(scope, establishment):
        raise Http404
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(
                actor=request.user,
                establishment=establishment,
                data=form.cleaned_data,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The unit “%(name)s” has been created.") % {"name": unit})
            return redirect("administration:establishment", pk=establishment.pk)
    return render(
        request,
        "administration/establishments/unit_form.html",
        {"establishment": establishment, "form": form, "unit": None},
    )


def unit_edit(request: SignedInRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Rename a unit or change its contacts; deactivate or reactivate it."""
    scope, unit = _unit_for(request, pk, unit_pk)
    establishment = unit.establishment
    manages_units = _manages_units(scope, establishment)
    if request.method == "POST":
        form = UnitForm(request.POST, with_code=manages_units)
        if form.is_valid():
            try:
                changed = services.unit_update(
                    actor=request.user,
                    unit=unit,
                    data=form.cleaned_data,
                    request=request,
                    seen_version=form.cleaned_data["version"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if changed:
                    messages.success(
                        request, _("The unit “%(name)s” has been saved.") % {"name": unit}
                    )
                else:
                    messages.info(request, _("Nothing changed: there was nothing to save."))
                return redirect("administration:establishment", pk=establishment.pk)
    else:
        form = UnitForm(
            initial={
                "name": unit.name,
                "code": unit.code,
                "phone": unit.phone,
                "email": unit.email,
                "version": services.row_version(unit.updated_at),
            },
            with_code=manages_units,
        )
    return render(
        request,
        "administration/establishments/unit_form.html",
        {
            "establishment": establishment,
            "form": form,
            "unit": unit,
            "can_manage_units": manages_units,
            **_open_habilitations(unit if manages_units and unit.is_active else None),
        },
    )


# The rights listed on a unit's page as stopping its deactivation (the count says the rest).
OPEN_RIGHTS_SHOWN = 50


def _open_habilitations(unit: Unit | None) -> dict:
    """The open rights that stop the unit's deactivation: how many, and the first ones with
    their people (links to the person pages)."""
    if unit is None:
        return {"open_habilitations": 0, "open_rights": []}
    rights = services.unit_open_habilitations(unit)
    shown = list(rights[: OPEN_RIGHTS_SHOWN + 1])
    count = len(shown) if len(shown) <= OPEN_RIGHTS_SHOWN else rights.count()
    return {"open_habilitations": count, "open_rights": shown[:OPEN_RIGHTS_SHOWN]}


@require_POST
def unit_deactivate(request: SignedInRequest, pk: int, unit_pk: int) -> HttpResponse:
    return _set_unit_active(request, pk, unit_pk, active=False)


@require_POST
def unit_reactivate(request: SignedInRequest, pk: int, unit_pk: int) -> HttpResponse:
    return _set_unit_active(request, pk, unit_pk, active=True)


def _set_unit_active(
    request: SignedInRequest, pk: int, unit_pk: int, *, active: bool
) -> HttpResponse:
    scope, unit = _unit_for(request, pk, unit_pk)
    if not _manages_units(scope, unit.establishment):
        raise Http404
    service = services.unit_reactivate if active else services.unit_deactivate
    try:
        service(actor=request.user, unit=unit, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("administration:unit_edit", pk=pk, unit_pk=unit.pk)
    if active:
        messages.success(request, _("The unit “%(name)s” is active again.") % {"name": unit})
    else:
        messages.success(request, _("The unit “%(name)s” is deactivated.") % {"name": unit})
    return redirect("administration:establishment", pk=pk)
