"""The lookup journey of the user document, made faster (docs/domain.md, "The journey").

1. "Mes référents": the référents of the person's own structures, at once; for a unit's référent,
   the establishment's référents (who serve them in turn) first; then the structures of rights
   ended lately (``ENDED_RIGHTS_SHOWN_DAYS``), whose référents can extend them.
2. "Liste des référents ViaTrajectoire": the tree Région > Département > Établissement > Unité,
   expandable without JavaScript (links) and in place with it (fragments), plus a search.
3. "Liste des référents ViaTrajectoire identifiés": the référents of one structure.
4. The escalation page when nobody is identified.

Every signed-in person may look up any open structure: that is the product's purpose.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from accounts.access import SignedInRequest, remember_scope
from accounts.scope import Scope
from accounts.selectors import (
    OwnStructures,
    ReferentLookup,
    own_structures,
    recently_ended_structures,
    referents_for,
    referents_for_many,
)
from core.converters import parse_id
from core.paging import page_links
from referents import mailto, tree
from structures import selectors
from structures.models import Departement, Establishment, Region, Sector, Unit


def _own_structures(request: SignedInRequest) -> OwnStructures:
    """The person's active structures, each once; their rights give the person's scope too
    (the Administration menu), so the page does not query the rights a second time."""
    own = own_structures(request.user)
    if not request.user.is_platform_admin:
        remember_scope(request, Scope.from_rights(own.rights))
    return own


# What the lookup pages show of an establishment (and need to find its support desk).
LOOKUP_ESTABLISHMENT_FIELDS = (
    "establishment__is_active",
    "establishment__name",
    "establishment__finess",
    "establishment__city",
    "establishment__departement__code",
    "establishment__departement__name",
    "establishment__departement__region__code",
    "establishment__departement__region__name",
    "establishment__departement__region__support_name",
    "establishment__departement__region__support_email",
    "establishment__departement__region__support_url",
    "establishment__departement__region__support_phone",
)


def mine(request: SignedInRequest) -> HttpResponse:
    """Mes référents: each structure of the person with whom to ask, in one lookup."""
    own = _own_structures(request)
    structures: list[Establishment | Unit] = []
    notes: list[dict] = []
    # A unit's référent is served in turn by the establishment's référents: those first.
    administered_units = {unit for _e, unit, administers, _r in own.rights if administers and unit}
    whole = {e for e, unit, _a, _r in own.rights if unit is None}
    served_in_turn: set[int] = set()
    for structure in own.structures:
        if isinstance(structure, Unit) and structure.pk in administered_units:
            establishment = structure.establishment
            if establishment.pk not in whole and establishment.pk not in served_in_turn:
                served_in_turn.add(establishment.pk)
                structures.append(establishment)
                notes.append({"served_in_turn": True})
        structures.append(structure)
        notes.append({})
    for ended in recently_ended_structures(request.user, settings.ENDED_RIGHTS_SHOWN_DAYS):
        structures.append(ended.structure)
        notes.append({"ended_on": ended.ended_on})
    items = []
    for lookup, note in zip(referents_for_many(structures), notes, strict=True):
        items.append({**_lookup_context(request, lookup), **note})
    return render(request, "referents/mine.html", {"items": items})


def _lookup_context(request: SignedInRequest, lookup: ReferentLookup) -> dict:
    subject = mailto.referent_subject(lookup)
    context = {
        "lookup": lookup,
        "structure_label": mailto.structure_label(lookup),
        "referents": [
            {
                "habilitation": h,
                "user": h.user,
                "mailto": mailto.mailto(h.user.email, subject),
                "is_you": h.user_id == request.user.pk,
            }
            for h in lookup.referents
        ],
        "detail_url": _detail_url(lookup),
    }
    if lookup.escalation is not None:
        support = lookup.escalation.support
        context["support_mailto"] = mailto.mailto(
            support.email,
            mailto.escalation_subject(lookup),
            mailto.escalation_body(lookup, request.user),
        )
        context["directors"] = [
            {
                "user": director,
                "mailto": mailto.mailto(
                    director.email,
                    mailto.escalation_subject(lookup),
                    mailto.escalation_body(lookup, request.user),
                ),
            }
            for director in lookup.escalation.directors
        ]
    return context


def _detail_url(lookup: ReferentLookup) -> str:
    if lookup.unit is not None:
        return reverse("referents:unit", args=[lookup.unit.pk])
    return reverse("referents:establishment", args=[lookup.establishment.pk])


def establishment_referents(request: SignedInRequest, pk: int) -> HttpResponse:
    """Liste des référents ViaTrajectoire identifiés, for an establishment (or the escalation)."""
    establishment = get_object_or_404(
        Establishment.objects.select_related("departement__region").only(
            *(name.removeprefix("establishment__") for name in LOOKUP_ESTABLISHMENT_FIELDS)
        ),
        pk=pk,
        is_active=True,
    )
    return _identified(request, referents_for(establishment))


def unit_referents(request: SignedInRequest, pk: int) -> HttpResponse:
    """Liste des référents ViaTrajectoire identifiés, for a unit (or the escalation)."""
    unit = get_object_or_404(
        Unit.objects.select_related("establishment__departement__region").only(
            "name", "is_active", "establishment_id", *LOOKUP_ESTABLISHMENT_FIELDS
        ),
        pk=pk,
        is_active=True,
        establishment__is_active=True,
    )
    return _identified(request, referents_for(unit))


def _identified(request: SignedInRequest, lookup: ReferentLookup) -> HttpResponse:
    template = "referents/identified.html" if lookup.found else "referents/escalation.html"
    return render(request, template, {"item": _lookup_context(request, lookup)})


# --- The tree


def _sector(request: SignedInRequest) -> str:
    sector = request.GET.get("secteur", "")
    return sector if sector in Sector.values else ""


def referent_list(request: SignedInRequest) -> HttpResponse:
    """Liste des référents ViaTrajectoire: the tree, or search results when a query is given."""
    sector = _sector(request)
    query = request.GET.get("q", "")[:200]
    context: dict = {
        "results": None,
        "sector": sector,
        "query": query,
        "sectors": [(value, label) for value, label in Sector.choices if value != Sector.OTHER],
    }
    if query.strip():
        results = selectors.establishment_search(query, sector, request.GET.get("page"))
        context["results"] = results
        context["results_nodes"] = [
            tree.establishment_node(e, e.departement, sector, page=None, expanded=False)
            for e in results
        ]
        context["links"] = page_links(results, q=query, secteur=sector)
        return render(request, "referents/tree.html", context)

    open_region, open_departement, open_establishment = _open_path(request)
    page: int | str | None = request.GET.get("page")
    if open_establishment is not None and not page:
        page = tree.page_containing(open_establishment, sector)
    nodes = []
    for region in selectors.regions():
        node = tree.region_node(region, sector, expanded=region == open_region)
        if node["expanded"]:
            for departement in selectors.departements_of(region):
                departement.region = region
                child = tree.departement_node(
                    departement, sector, expanded=departement == open_departement
                )
                if child["expanded"]:
                    tree.departement_children(
                        child,
                        departement,
                        sector,
                        page,
                        open_establishment,
                        request.GET.get("upage"),
                    )
                node["children"].append(child)
        nodes.append(node)
    context["nodes"] = nodes
    return render(request, "referents/tree.html", context)


def _open_path(
    request: SignedInRequest,
) -> tuple[Region | None, Departement | None, Establishment | None]:
    """The open nodes, from the deepest one given: each implies its ancestors."""
    establishment = departement = region = None
    if pk := request.GET.get("etablissement", ""):
        if parse_id(pk) is None:
            raise Http404
        establishment = get_object_or_404(
            Establishment.objects.select_related("departement__region"), pk=pk, is_active=True
        )
        departement = establishment.departement
    elif code := request.GET.get("departement", ""):
        departement = get_object_or_404(Departement.objects.select_related("region"), code=code)
    if departement is not None:
        region = departement.region
    elif code := request.GET.get("region", ""):
        region = get_object_or_404(Region, code=code)
    return region, departement, establishment


def tree_children(request: SignedInRequest, kind: str, key: str) -> HttpResponse:
    """The children of one node, as an HTML fragment (expanding in place with JavaScript)."""
    sector = _sector(request)
    page = request.GET.get("page")
    if kind == "region":
        region = get_object_or_404(Region, code=key)
        parent = tree.region_node(region, sector, expanded=True)
        for departement in selectors.departements_of(region):
            departement.region = region
            parent["children"].append(tree.departement_node(departement, sector))
    elif kind == "departement":
        departement = get_object_or_404(Departement.objects.select_related("region"), code=key)
        parent = tree.departement_node(departement, sector, expanded=True)
        tree.departement_children(parent, departement, sector, page)
    elif kind == "etablissement" and parse_id(key) is not None:
        establishment = get_object_or_404(
            Establishment.objects.select_related("departement"), pk=key, is_active=True
        )
        parent = tree.establishment_node(
            establishment, establishment.departement, sector, 1, expanded=True
        )
        tree.establishment_children(parent, establishment, sector, page)
    else:
        raise Http404
    return render(request, "referents/_tree_children.html", {"node": parent, "fragment": True})
