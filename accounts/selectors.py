"""Read queries shared by the pages: a person's own structures, who serves a structure, and whom
to tell when nobody does.

The hottest ones are written in SQL (the ORM's compilation cost more than the query on the
most visited pages, docs/benchmarks.md). Each such query has its ORM twin next to it, and
``tests/accounts/test_selector_twins.py`` checks that both answer the same on a generated world.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.db.models import Exists, Model, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import (
    IN_FORCE_SQL,
    Charter,
    CharterAcceptance,
    Habilitation,
    User,
    in_force_sql_params,
    normalize_email,
    normalize_national_id,
    validate_national_id,
)
from core.search import matching_every_word
from structures.finess import fold
from structures.models import Departement, Establishment, Region, Unit


@dataclass(frozen=True)
class SupportDesk:
    name: str
    email: str
    url: str
    phone: str = ""
    # The platform's own desk, standing in for a region without one: pages say so.
    is_fallback: bool = False

    @classmethod
    def for_region(cls, region: Region | None) -> SupportDesk:
        """The region's support desk, or the platform's own desk (settings) when the region
        has none."""
        if region is not None and region.support_email:
            return cls(
                name=region.support_name or str(region),
                email=region.support_email,
                url=region.support_url,
                phone=region.support_phone,
            )
        return cls(
            name=settings.SUPPORT_NAME,
            email=settings.SUPPORT_EMAIL,
            url=settings.SUPPORT_URL,
            phone=settings.SUPPORT_PHONE,
            is_fallback=True,
        )


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
    habilitation: Any  # with its ``role``
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
    # Raw rows: a habilitation with the written query's extra columns.
    habilitation: Any
    for habilitation in rows:
        habilitation.user = User(
            pk=habilitation.user_id,
            email=habilitation.person_email,
            first_name=habilitation.person_first_name,
            last_name=habilitation.person_last_name,
            phone=habilitation.person_phone,
            job_title=habilitation.person_job_title,
            blocked_at=habilitation.person_blocked_at,
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
            " u.job_title AS person_job_title, u.blocked_at AS person_blocked_at"
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


# --- A person's own structures ("Mes référents")


@dataclass(frozen=True)
class OwnStructures:
    """The structures where a person holds a right in force, each once (a unit, or an
    establishment as a whole), sorted by name; and those rights as ``Scope.from_rights`` reads
    them: (establishment id, unit id, administers accounts, reviews habilitations)."""

    structures: list[Establishment | Unit]
    rights: list[tuple[int, int | None, bool, bool]]


def own_structures(user: User, on: datetime.date | None = None) -> OwnStructures:
    """``own_structures_orm`` in one written statement (``active_on``'s rule)."""
    with connection.cursor() as cursor:
        cursor.execute(_OWN_STRUCTURES_SQL, [user.pk, *in_force_sql_params(on)])
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    structures: dict[tuple[int, int | None], Establishment | Unit] = {}
    for row in rows:
        key = (row["establishment_id"], row["unit_id"])
        if key not in structures:
            structures[key] = _structure_of(row)
    return OwnStructures(
        structures=list(structures.values()),
        rights=[
            (
                row["establishment_id"],
                row["unit_id"],
                bool(row["administers_accounts"]),
                bool(row["reviews_habilitations"]),
            )
            for row in rows
        ],
    )


@dataclass(frozen=True)
class EndedRight:
    """A structure where all the person's rights have ended, and the day the last one did."""

    structure: Establishment | Unit
    ended_on: datetime.date


def recently_ended_structures(
    user: User, within_days: int, on: datetime.date | None = None
) -> list[EndedRight]:
    """The open structures where the person held a right that ended (expired or ended early)
    within ``within_days`` days before ``on`` (today), and holds no open right any more: the
    ones whose référents can give it back. Latest end first; one query."""
    day = on or timezone.localdate()
    cutoff = day - datetime.timedelta(days=within_days)
    # A right's end day is never after its end date: the end date bounds the search.
    rights = (
        Habilitation.objects.filter(user=user, end_date__gte=cutoff, establishment__is_active=True)
        .exclude(unit__is_active=False)
        .select_related("establishment__departement__region", "unit")
    )
    still_open: set[tuple[int, int | None]] = set()
    ended: dict[tuple[int, int | None], EndedRight] = {}
    for right in rights:
        key = (right.establishment_id, right.unit_id)
        if right.ended_at is None and right.end_date >= day:
            still_open.add(key)  # in force or yet to start
            continue
        ended_on = right.end_date
        if right.ended_at is not None:
            ended_on = min(ended_on, timezone.localdate(right.ended_at))
        if not cutoff <= ended_on <= day or (key in ended and ended[key].ended_on >= ended_on):
            continue
        if right.unit is not None:
            right.unit.establishment = right.establishment
        ended[key] = EndedRight(right.unit or right.establishment, ended_on)
    found = [right for key, right in ended.items() if key not in still_open]
    return sorted(found, key=lambda right: right.ended_on, reverse=True)


def own_structures_orm(user: User, on: datetime.date | None = None) -> OwnStructures:
    """What ``own_structures`` answers, through the ORM: the reference its SQL is tested on."""
    rights = (
        Habilitation.objects.active_on(on)
        .filter(user=user)
        .select_related("profile", "establishment__departement__region", "unit")
        .order_by("establishment__name", "unit__name", "pk")
    )
    structures: dict[tuple[int, int | None], Establishment | Unit] = {}
    found = []
    for right in rights:
        found.append(
            (
                right.establishment_id,
                right.unit_id,
                right.profile.administers_accounts,
                right.profile.reviews_habilitations,
            )
        )
        key = (right.establishment_id, right.unit_id)
        if key not in structures:
            if right.unit is not None:
                right.unit.establishment = right.establishment
            structures[key] = right.unit or right.establishment
    return OwnStructures(structures=list(structures.values()), rights=found)


def _structure_of(row: dict) -> Establishment | Unit:
    """The establishment (or unit) of a row of ``_OWN_STRUCTURES_SQL``, with what the page
    shows of it and its region's support desk."""
    region = Region(
        pk=row["region_id"],
        code=row["region_code"],
        name=row["region_name"],
        support_name=row["support_name"],
        support_email=row["support_email"],
        support_url=row["support_url"],
        support_phone=row["support_phone"],
    )
    departement = Departement(
        pk=row["departement_id"],
        code=row["departement_code"],
        name=row["departement_name"],
        region=region,
    )
    establishment = Establishment(
        pk=row["establishment_id"],
        name=row["establishment_name"],
        finess=row["finess"],
        city=row["city"],
        is_active=True,
        departement=departement,
    )
    if row["unit_id"] is None:
        return establishment
    return Unit(
        pk=row["unit_id"], name=row["unit_name"], is_active=True, establishment=establishment
    )


# The person's rights in force on open structures (``Habilitation.objects.active_on``), with
# what Mes référents shows of each structure and needs to find its region's support desk.
# Only the module's constant rule goes into the text; values are parameters.
_OWN_STRUCTURES_SQL = f"""
SELECT h.establishment_id, h.unit_id, p.administers_accounts, p.reviews_habilitations,
       e.name AS establishment_name, e.finess, e.city,
       d.id AS departement_id, d.code AS departement_code, d.name AS departement_name,
       r.id AS region_id, r.code AS region_code, r.name AS region_name,
       r.support_name, r.support_email, r.support_url, r.support_phone, u.name AS unit_name
FROM accounts_habilitation h
JOIN accounts_profile p ON p.id = h.profile_id
JOIN structures_establishment e ON e.id = h.establishment_id AND e.is_active
JOIN structures_departement d ON d.id = e.departement_id
JOIN structures_region r ON r.id = d.region_id
LEFT JOIN structures_unit u ON u.id = h.unit_id
WHERE h.user_id = %s AND (h.unit_id IS NULL OR u.is_active) AND {IN_FORCE_SQL}
ORDER BY e.name, u.name, h.id
"""  # noqa: S608


def _referents_and_directors_orm(
    establishment_ids: set[int], unit_ids: set[int], on: datetime.date | None
) -> list[Habilitation]:
    """What ``_referents_and_directors`` answers, through the ORM (its tested reference)."""
    in_force = Habilitation.objects.in_force_on(on).filter(user__is_active=True)
    referents = in_force.referents().filter(
        Q(establishment_id__in=establishment_ids, unit__isnull=True) | Q(unit_id__in=unit_ids)
    )
    directors = in_force.directors().filter(
        establishment_id__in=establishment_ids, unit__isnull=True
    )
    found = []
    habilitation: Any
    for role, rights in ((_REFERENT, referents), (_DIRECTOR, directors)):
        for habilitation in rights.select_related("user"):
            habilitation.role = role
            found.append(habilitation)
    return found


# --- The signed-in person, on every request


def signed_in_person(user_id: int) -> User | None:
    """The person, with the id of the current charter and whether they accepted it, in one
    statement (``signed_in_person_orm``'s rule)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    found = list(User.objects.raw(_SIGNED_IN_PERSON_SQL, [now, user_id]))
    if not found:
        return None
    user: Any = found[0]  # with its charter status
    user.current_charter_accepted = bool(user.current_charter_accepted)
    return user


def signed_in_person_orm(user_id: int) -> User | None:
    """What ``signed_in_person`` answers, through the ORM (its tested reference)."""
    current = Charter.objects.published()
    return (
        User.objects.filter(pk=user_id)
        .annotate(current_charter_id=Subquery(current.values("pk")[:1]))
        .annotate(
            current_charter_accepted=Exists(
                CharterAcceptance.objects.filter(
                    user=OuterRef("pk"), charter=OuterRef("current_charter_id")
                )
            )
        )
        .first()
    )


# The current charter (the last published version) and whether the person accepted it.
_SIGNED_IN_PERSON_SQL = """
SELECT u.*, c.id AS current_charter_id,
       EXISTS (SELECT 1 FROM accounts_charteracceptance a
               WHERE a.user_id = u.id AND a.charter_id = c.id) AS current_charter_accepted
FROM accounts_user u
LEFT JOIN (SELECT id FROM accounts_charter WHERE published_at <= %s
           ORDER BY version DESC LIMIT 1) c ON 1 = 1
WHERE u.id = %s
"""


# --- Finding people by name, e-mail or RPPS/ADELI number

SEARCH_MAX_WORDS = 10
_Row = TypeVar("_Row", bound=Model)


def _exact_person(text: str, person: str) -> Q | None:
    """A whole e-mail address or RPPS/ADELI number typed in the box, as a lookup of its own
    index: a platform administrator finds one person among a million at once, where the
    words of an address ("lea martin chu fr") would each match thousands."""
    text = text.strip()
    if "@" in text and not any(char.isspace() for char in text):
        try:
            validate_email(text)
        except ValidationError:
            return None
        return Q(**{f"{person}email": normalize_email(text)})
    national_id = normalize_national_id(text)
    try:
        validate_national_id(national_id)
    except ValidationError:
        return None
    return Q(**{f"{person}national_id": national_id})


def people_matching(queryset: QuerySet[_Row], text: str, *, person: str = "") -> QuerySet[_Row]:
    """``queryset`` limited to the people ``text`` finds (the accounts list's search, the review
    table's): a whole e-mail address or RPPS/ADELI number exactly, otherwise each word starting
    a word of the last name, first name, e-mail or number, whatever the accents and the case
    ("hel lef" finds Hélène Lefèvre), from an index on PostgreSQL.

    ``person`` is the path from the queryset's rows to the person: "" for people, "user" for
    rights. Only narrows ``queryset``: the scope it was limited to stays.
    """
    prefix = f"{person}__" if person else ""
    exact = _exact_person(text, prefix)
    if exact is not None:
        return queryset.filter(exact)
    words = fold(text).split()[:SEARCH_MAX_WORDS]
    if not words:
        return queryset
    return matching_every_word(queryset, f"{prefix}search_name", words)
