"""Read queries shared by the pages: who serves a structure, and whom to tell when nobody does."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import IN_FORCE_SQL, Habilitation, User, in_force_sql_params
from structures.models import Departement, Establishment, Region, Unit


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


def _load_regions(structures: list[Establishment | Unit]) -> None:
    """Attach each structure's establishment, département and region (one query at most)."""
    missing: set[int] = set()
    for structure in structures:
        if isinstance(structure, Unit) and not Unit.establishment.is_cached(structure):
            missing.add(structure.establishment_id)
            continue
        establishment = structure.establishment if isinstance(structure, Unit) else structure
        if not Establishment.departement.is_cached(establishment) or not (
            Departement.region.is_cached(establishment.departement)
        ):
            missing.add(establishment.pk)
    if not missing:
        return
    loaded = Establishment.objects.select_related("departement__region").in_bulk(missing)
    for structure in structures:
        if isinstance(structure, Unit):
            if structure.establishment_id in loaded:
                structure.establishment = loaded[structure.establishment_id]
        elif structure.pk in loaded:
            structure.departement = loaded[structure.pk].departement


def _one_per_person(habilitations: list[Habilitation]) -> list[Habilitation]:
    """Keep each person once, with the habilitation that runs the longest."""
    best: dict[int, Habilitation] = {}
    for habilitation in habilitations:
        kept = best.get(habilitation.user_id)
        if kept is None or habilitation.end_date > kept.end_date:
            best[habilitation.user_id] = habilitation
    return sorted(best.values(), key=lambda h: (h.user.last_name.lower(), h.user.first_name))


def referents_for_many(
    structures: list[Establishment | Unit], on: datetime.date | None = None
) -> list[ReferentLookup]:
    """``referents_for`` of several structures, in the same order, in at most 2 queries."""
    if not structures:
        return []
    _load_regions(structures)
    pairs = [(s.establishment, s) if isinstance(s, Unit) else (s, None) for s in structures]
    # A closed establishment or unit has nobody: its rights give no right (``active_on``).
    establishment_ids = {e.pk for e, _unit in pairs if e.is_active}
    unit_ids = {u.pk for e, u in pairs if u is not None and u.is_active and e.is_active}
    by_establishment: dict[int, list[Habilitation]] = {}
    by_unit: dict[int, list[Habilitation]] = {}
    directors: dict[int, list[Habilitation]] = {}
    for habilitation in _referents_and_directors(establishment_ids, unit_ids, on):
        if habilitation.role == _DIRECTOR:
            directors.setdefault(habilitation.establishment_id, []).append(habilitation)
        elif habilitation.unit_id is None:
            by_establishment.setdefault(habilitation.establishment_id, []).append(habilitation)
        else:
            by_unit.setdefault(habilitation.unit_id, []).append(habilitation)

    found: list[ReferentLookup | None] = []
    for establishment, unit in pairs:
        own = by_unit.get(unit.pk) if unit is not None else None
        if own:
            found.append(ReferentLookup(establishment, unit, _one_per_person(own)))
        elif by_establishment.get(establishment.pk):
            found.append(
                ReferentLookup(
                    establishment,
                    unit,
                    _one_per_person(by_establishment[establishment.pk]),
                    inherited=unit is not None,
                )
            )
        else:
            found.append(None)
    return [
        lookup
        or ReferentLookup(
            establishment,
            unit,
            escalation=Escalation(
                [h.user for h in _one_per_person(directors.get(establishment.pk, []))],
                SupportDesk.for_region(establishment.departement.region),
            ),
        )
        for (establishment, unit), lookup in zip(pairs, found, strict=True)
    ]


_REFERENT, _DIRECTOR = 1, 2


def _referents_and_directors(
    establishment_ids: set[int], unit_ids: set[int], on: datetime.date | None
) -> list[Habilitation]:
    """The active référents of the establishments (as a whole) and of the units, and the
    establishments' directors (for the escalation), in one query, each with ``role`` and
    ``user`` loaded.

    Each kind is its own index lookup, joined by UNION ALL, rather than one OR: with the OR,
    PostgreSQL reads every habilitation of a large establishment (50,000 at a teaching
    hospital) to keep its three référents. Directors are read whether or not the escalation
    needs them: a few rows more cost less than a second round trip.
    """
    if not establishment_ids:
        return []
    in_force = in_force_sql_params(on)
    establishments, units = sorted(establishment_ids), sorted(unit_ids)
    params = [*establishments, *in_force, *establishments, *in_force]
    if units:
        params += [*units, *in_force]
    rows = Habilitation.objects.raw(_lookup_sql(len(establishments), len(units)), params)
    found = []
    for habilitation in rows:
        habilitation.user = User(
            pk=habilitation.user_id,
            email=habilitation.person_email,
            first_name=habilitation.person_first_name,
            last_name=habilitation.person_last_name,
            phone=habilitation.person_phone,
            job_title=habilitation.person_job_title,
        )
        found.append(habilitation)
    return found


@functools.cache
def _lookup_sql(establishments: int, units: int) -> str:
    """The SQL of ``_referents_and_directors`` for that many establishments and units.

    Written out rather than built by the ORM, whose query compilation cost more than the
    query on the hot pages (docs/benchmarks.md); the rules are ``active_on``'s (the structures
    are known to be open) and ``referents()`` / ``directors()``'s.
    """

    def branch(role: int, capability: str, structure: str, count: int) -> str:
        # Only this module's constants and placeholder counts go into the text: values are
        # parameters.
        return (
            f"SELECT h.id, h.establishment_id, h.unit_id, h.end_date, h.user_id, {role} AS role,"  # noqa: S608
            " u.email AS person_email, u.first_name AS person_first_name,"
            " u.last_name AS person_last_name, u.phone AS person_phone,"
            " u.job_title AS person_job_title"
            " FROM accounts_habilitation h"
            f" JOIN accounts_profile p ON p.id = h.profile_id AND p.{capability}"
            " JOIN accounts_user u ON u.id = h.user_id AND u.is_active"
            f" WHERE {structure} IN ({', '.join(['%s'] * count)}) AND {IN_FORCE_SQL}"
        )

    parts = [
        branch(
            _REFERENT,
            "administers_accounts",
            "h.unit_id IS NULL AND h.establishment_id",
            establishments,
        ),
        # The establishment's directors: a unit's director directs that unit only.
        branch(
            _DIRECTOR,
            "reviews_habilitations",
            "h.unit_id IS NULL AND h.establishment_id",
            establishments,
        ),
    ]
    if units:
        parts.append(branch(_REFERENT, "administers_accounts", "h.unit_id", units))
    return " UNION ALL ".join(parts)


def referents_for(
    structure: Establishment | Unit, on: datetime.date | None = None
) -> ReferentLookup:
    """The référents that serve an establishment or a unit on a day (today by default).

    A unit is served by its own active référents; when it has none, by its establishment's
    (``inherited``). When nobody serves it, the result carries the escalation data: the
    establishment's active directors and its region's support desk. At most 2 queries.
    """
    return referents_for_many([structure], on)[0]
