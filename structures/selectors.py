"""Read queries over structures: the tree levels and the establishment search.

Every level is paged, so no page ever reads a whole level of 100,000 establishments.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Case, IntegerField, QuerySet, Value, When

from core.search import matching_every_word
from structures.finess import FINESS_RE, fold
from structures.models import Departement, Establishment, Region, Sector, Unit

TREE_PAGE_SIZE = 50
SEARCH_PAGE_SIZE = 20

# Common abbreviations in establishment names, folded: "st" finds "saint".
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def regions() -> list[Region]:
    # Sorted without accents, so that "Île-de-France" comes after "Hauts-de-France".
    return sorted(Region.objects.all(), key=lambda region: fold(region.name))


def departements_of(region: Region) -> list[Departement]:
    return list(region.departements.order_by("code"))


def active_establishments(sector: str = "") -> QuerySet[Establishment]:
    queryset = Establishment.objects.filter(is_active=True)
    if sector in Sector.values:
        queryset = queryset.filter(sector=sector)
    return queryset


def establishments_page(
    departement: Departement, sector: str = "", page: int | str | None = 1
) -> Page:
    queryset = (
        active_establishments(sector)
        .filter(departement=departement)
        .only("pk", "name", "finess", "city", "postcode", "departement_id")
        .order_by("name", "pk")
    )
    return Paginator(queryset, TREE_PAGE_SIZE).get_page(page)


def units_page(establishment: Establishment, page: int | str | None = 1) -> Page:
    queryset = (
        Unit.objects.filter(establishment=establishment, is_active=True)
        .only("pk", "name", "establishment_id")
        .order_by("name", "pk")
    )
    return Paginator(queryset, TREE_PAGE_SIZE).get_page(page)


def search_words(query: str) -> list[str]:
    return [ABBREVIATIONS.get(word, word) for word in fold(query).split()][:10]


def establishment_search(query: str, sector: str = "", page: int | str | None = 1) -> Page:
    """Establishments whose name, city, postcode or FINESS number match every word of ``query``.

    Accent- and case-insensitive; each word matches the start of a word ("hop st j" finds
    "HÔPITAL SAINT-JEAN"). An exact FINESS number comes first, then names in order.
    """
    words = search_words(query)
    queryset = (
        active_establishments(sector)
        .select_related("departement")
        .only(*SEARCH_RESULT_FIELDS, "departement__code", "departement__name")
    )
    if not words:
        return Paginator(queryset.none(), SEARCH_PAGE_SIZE).get_page(1)
    queryset = matching_every_word(queryset, "search_text", words)
    number = query.strip().upper()
    exact = When(finess=number, then=Value(0)) if FINESS_RE.match(number) else None
    queryset = queryset.annotate(
        rank=Case(exact, default=Value(1), output_field=IntegerField())
        if exact
        else Value(1, output_field=IntegerField())
    ).order_by("rank", "name", "pk")
    return Paginator(queryset, SEARCH_PAGE_SIZE).get_page(page)


SEARCH_RESULT_FIELDS = ("pk", "name", "finess", "city", "postcode", "sector", "departement_id")
