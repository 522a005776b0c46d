"""Read queries of the provider sign-in."""

from __future__ import annotations

from oidc.claims import Workplaces
from structures.models import Establishment

# A legal entity can run dozens of establishments: the page names the first ones.
MAX_ESTABLISHMENTS = 10


def establishments_of(places: Workplaces) -> list[Establishment]:
    """The open establishments of the directory named in a person's activities: the sites
    first, then the establishments of the legal entities whose site is not in the directory."""
    found = list(
        Establishment.objects.filter(finess__in=places.sites, is_active=True)
        .select_related("departement__region")
        .order_by("name")[:MAX_ESTABLISHMENTS]
    )
    if places.legal_entities and len(found) < MAX_ESTABLISHMENTS:
        known_entities = {e.legal_entity_id for e in found}
        found += list(
            Establishment.objects.filter(
                legal_entity__finess__in=places.legal_entities, is_active=True
            )
            .exclude(legal_entity_id__in=[pk for pk in known_entities if pk is not None])
            .select_related("departement__region")
            .order_by("name")[: MAX_ESTABLISHMENTS - len(found)]
        )
    return found
