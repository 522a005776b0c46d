"""Read queries shared by the pages: who serves a structure, and whom to tell when nobody does."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Habilitation, User
from structures.models import Establishment, Region, Unit


@dataclass(frozen=True)
class SupportDesk:
    name: str
    email: str
    url: str
    phone: str = ""

    @classmethod
    def for_region(cls, region: Region | None) -> SupportDesk:
        """The region's support desk, or the platform's fallback desk from the settings."""
        if region is not None and region.support_email:
            return cls(
                name=region.support_name or str(region),
                email=region.support_email,
                url=region.support_url or settings.SUPPORT_URL,
                phone=region.support_phone,
            )
        return cls(name=str(_("Support")), email=settings.SUPPORT_EMAIL, url=settings.SUPPORT_URL)


@dataclass(frozen=True)
class Escalation:
    """Whom to tell when no référent serves a structure: the direction, then the support desk."""

    directors: list[User]
    support: SupportDesk


@dataclass(frozen=True)
class ReferentLookup:
    establishment: Establishment
    unit: Unit | None
    # One active référent habilitation per person, with ``user`` loaded.
    referents: list[Habilitation] = field(default_factory=list)
    # True when a unit has no référent of its own and its establishment's serve it.
    inherited: bool = False
    escalation: Escalation | None = None

    @property
    def found(self) -> bool:
        return bool(self.referents)


def _with_region(structure: Establishment | Unit) -> tuple[Establishment, Unit | None]:
    """The establishment (with département and region loaded) and the unit, if any."""
    unit = structure if isinstance(structure, Unit) else None
    if unit is not None and not Unit.establishment.is_cached(unit):
        establishment = Establishment.objects.select_related("departement__region").get(
            pk=unit.establishment_id
        )
        unit.establishment = establishment
    establishment = unit.establishment if unit is not None else structure
    if not Establishment.departement.is_cached(establishment):
        # Exactly one query for both the département and its region.
        establishment.departement = (
            Establishment.objects.select_related("departement__region")
            .get(pk=establishment.pk)
            .departement
        )
    return establishment, unit


def _one_per_person(habilitations: list[Habilitation]) -> list[Habilitation]:
    """Keep each person once, with the habilitation that runs the longest."""
    best: dict[int, Habilitation] = {}
    for habilitation in habilitations:
        kept = best.get(habilitation.user_id)
        if kept is None or habilitation.end_date > kept.end_date:
            best[habilitation.user_id] = habilitation
    return sorted(best.values(), key=lambda h: (h.user.last_name.lower(), h.user.first_name))


def referents_for(
    structure: Establishment | Unit, on: datetime.date | None = None
) -> ReferentLookup:
    """The référents that serve an establishment or a unit on a day (today by default).

    A unit is served by its own active référents; when it has none, by its establishment's
    (``inherited``). When nobody serves it, the result carries the escalation data: the
    establishment's active directors and its region's support desk. At most 3 queries.
    """
    establishment, unit = _with_region(structure)
    active = Habilitation.objects.active_on(on).filter(user__is_active=True).select_related("user")
    here = Q(establishment=establishment, unit__isnull=True)
    if unit is not None:
        here |= Q(unit=unit)
    candidates = list(active.referents().filter(here))
    own = [h for h in candidates if unit is not None and h.unit_id == unit.pk]
    if own:
        return ReferentLookup(establishment, unit, _one_per_person(own))
    inherited = [h for h in candidates if h.unit_id is None]
    if inherited:
        return ReferentLookup(
            establishment, unit, _one_per_person(inherited), inherited=unit is not None
        )
    directors = [
        h.user
        for h in _one_per_person(list(active.directors().filter(establishment=establishment)))
    ]
    support = SupportDesk.for_region(establishment.departement.region)
    return ReferentLookup(establishment, unit, escalation=Escalation(directors, support))
