"""The nodes of "Liste des référents ViaTrajectoire": Région > Département > Établissement > Unité.

A node is a plain dict the templates render the same way whether it arrives in the full page
(no JavaScript: each ``+`` is a link to the page with that node open) or as a fragment loaded
in place (``children_url``). Establishments and units are paged: no level is ever read whole.
"""

from __future__ import annotations

from django.urls import reverse

from core.paging import page_links, page_url
from structures import selectors
from structures.models import Departement, Establishment, Region, Unit


def children_url(kind: str, key: object, sector: str) -> str:
    return page_url(reverse("referents:tree_children", args=[kind, key]), secteur=sector)


def region_node(region: Region, sector: str, expanded: bool = False) -> dict:
    return {
        "kind": "region",
        "id": f"r-{region.code}",
        "label": region.name,
        "expanded": expanded,
        "toggle_url": page_url(secteur=sector, anchor=f"r-{region.code}")
        if expanded
        else page_url(region=region.code, secteur=sector, anchor=f"r-{region.code}"),
        "children_url": children_url("region", region.code, sector),
        "children": [],
    }


def departement_node(departement: Departement, sector: str, expanded: bool = False) -> dict:
    anchor = f"d-{departement.code}"
    return {
        "kind": "departement",
        "id": anchor,
        "label": f"{departement.code} – {departement.name}",
        "expanded": expanded,
        "toggle_url": page_url(region=departement.region.code, secteur=sector, anchor=anchor)
        if expanded
        else page_url(departement=departement.code, secteur=sector, anchor=anchor),
        "children_url": children_url("departement", departement.code, sector),
        "children": [],
    }


def establishment_node(
    establishment: Establishment,
    departement: Departement,
    sector: str,
    page: int | None,
    expanded: bool,
) -> dict:
    anchor = f"e-{establishment.pk}"
    return {
        "kind": "establishment",
        "id": anchor,
        "label": establishment.name,
        "detail": f"{establishment.city} · FINESS {establishment.finess}",
        "url": reverse("referents:establishment", args=[establishment.pk]),
        "expanded": expanded,
        "toggle_url": page_url(
            departement=departement.code, secteur=sector, page=page, anchor=anchor
        )
        if expanded
        else page_url(etablissement=establishment.pk, secteur=sector, page=page, anchor=anchor),
        "children_url": children_url("etablissement", establishment.pk, sector),
        "children": [],
    }


def unit_node(unit: Unit) -> dict:
    return {
        "kind": "unit",
        "id": f"u-{unit.pk}",
        "label": unit.name,
        "url": reverse("referents:unit", args=[unit.pk]),
        "leaf": True,
    }


def departement_children(
    node: dict,
    departement: Departement,
    sector: str,
    page: int | str | None,
    open_establishment: Establishment | None = None,
    unit_page: int | str | None = 1,
) -> None:
    """Fill a département node with one page of its establishments (and one open, if any)."""
    establishments = selectors.establishments_page(departement, sector, page)
    for establishment in establishments:
        expanded = open_establishment is not None and establishment.pk == open_establishment.pk
        child = establishment_node(
            establishment, departement, sector, establishments.number, expanded
        )
        if expanded:
            establishment_children(child, establishment, sector, unit_page, establishments.number)
        node["children"].append(child)
    node["page"] = establishments
    node["links"] = page_links(
        establishments, departement=departement.code, secteur=sector, anchor=node["id"]
    )
    node["fragment_links"] = page_links(
        establishments,
        reverse("referents:tree_children", args=["departement", departement.code]),
        secteur=sector,
    )


def establishment_children(
    node: dict,
    establishment: Establishment,
    sector: str,
    page: int | str | None,
    parent_page: int = 1,
) -> None:
    units = selectors.units_page(establishment, page)
    node["children"] = [unit_node(unit) for unit in units]
    node["page"] = units
    # Without JavaScript the units are paged by "upage", keeping the establishments' page.
    node["links"] = page_links(
        units,
        param="upage",
        etablissement=establishment.pk,
        secteur=sector,
        page=parent_page,
        anchor=node["id"],
    )
    node["fragment_links"] = page_links(
        units,
        reverse("referents:tree_children", args=["etablissement", establishment.pk]),
        secteur=sector,
    )


def page_containing(establishment: Establishment, sector: str) -> int:
    """The page of its département's list on which an establishment appears."""
    before = (
        selectors.active_establishments(sector)
        .filter(departement_id=establishment.departement_id, name__lt=establishment.name)
        .count()
    )
    return before // selectors.TREE_PAGE_SIZE + 1
