"""Read queries of the review of habilitations ("Revue des habilitations").

The table, its filters, its sort, the summary numbers and the CSV export all start from
``review_rows``, so the screen and the file always agree. The status is computed in SQL (the
same rule as ``Habilitation.status``) so that it can be filtered and sorted on.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance, Habilitation, ending_condition
from accounts.scope import Scope
from accounts.selectors import people_matching
from structures.models import Unit

logger = logging.getLogger(__name__)

# The "ending within" filter of the review table; its summary links to ENDING_SOON_DAYS.
ENDING_WITHIN_DAYS = tuple(sorted({30, 60, 90, settings.ENDING_SOON_DAYS}))

# The statuses of ``Habilitation.Status``, computed in SQL below.
ACTIVE, FUTURE, EXPIRED, ENDED = Habilitation.Status
STATUSES = tuple(Habilitation.Status)

# Sort keys of the ``tri`` parameter: a leading "-" sorts in descending order. Ties are broken
# by person then id, so that pages never overlap.
SORT_FIELDS: dict[str, tuple[str, ...]] = {
    "personne": ("user__last_name", "user__first_name"),
    "profil": ("profile__order", "profile__name"),
    "unite": ("establishment__name", "unit__name"),
    "debut": ("start_date",),
    "fin": ("end_date",),
    "statut": ("status_order",),
    "connexion": ("user__last_login",),
}
NULLABLE_SORT_FIELDS = frozenset({"unit__name", "user__last_login"})
DEFAULT_SORT = "personne"
SORTS = frozenset({*SORT_FIELDS, *(f"-{key}" for key in SORT_FIELDS)})


def current_charter_id() -> int | None:
    """The id of the charter version in force (one query), None when none is published."""
    return Charter.objects.published().values_list("pk", flat=True).first()


def _status(today: datetime.date) -> Case:
    return Case(
        When(ended_at__isnull=False, then=Value(ENDED)),
        When(start_date__gt=today, then=Value(FUTURE)),
        When(end_date__lt=today, then=Value(EXPIRED)),
        default=Value(ACTIVE),
    )


def _status_order(today: datetime.date) -> Case:
    # The order people read the statuses in, not the alphabetical order of their codes.
    return Case(
        When(ended_at__isnull=False, then=Value(3)),
        When(start_date__gt=today, then=Value(1)),
        When(end_date__lt=today, then=Value(2)),
        default=Value(0),
        output_field=IntegerField(),
    )


def _charter_accepted(charter_id: int | None) -> Exists | Value:
    if charter_id is None:
        # Nothing to accept.
        return Value(True, output_field=BooleanField())
    return Exists(CharterAcceptance.objects.filter(user=OuterRef("user_id"), charter_id=charter_id))


def _ending_within(today: datetime.date, days: int) -> Q:
    return ending_condition(today, days)


def _dormant(now: datetime.datetime) -> Q:
    since = now - datetime.timedelta(days=settings.DORMANT_DAYS)
    return Q(user__last_login__isnull=True) | Q(user__last_login__lt=since)


def review_rows(
    habilitations: QuerySet[Habilitation], *, charter_id: int | None
) -> QuerySet[Habilitation]:
    """``habilitations`` (already limited to the scope) with ``review_status``,
    ``status_order`` and ``charter_accepted`` annotations."""
    today = timezone.localdate()
    return habilitations.annotate(
        review_status=_status(today),
        status_order=_status_order(today),
        charter_accepted=_charter_accepted(charter_id),
    )


def filter_rows(rows: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
    """Apply the cleaned filters of ``ReviewFilterForm`` to ``review_rows``."""
    today = timezone.localdate()
    if filters.get("q"):
        # Narrows the rows given, already limited to the reviewer's scope: never widens it.
        rows = people_matching(rows, filters["q"], person="user")
    if filters.get("statut"):
        rows = rows.filter(review_status=filters["statut"])
    if filters.get("fin"):
        rows = rows.filter(_ending_within(today, int(filters["fin"])))
    if filters.get("profil"):
        rows = rows.filter(profile=filters["profil"])
    if filters.get("unite"):
        rows = rows.filter(unit=filters["unite"])
    if filters.get("dormant"):
        rows = rows.filter(_dormant(timezone.now()))
    if filters.get("bloque"):
        rows = rows.filter(user__blocked_at__isnull=False)
    if filters.get("charte"):
        rows = rows.filter(charter_accepted=False)
    return rows


def sort_rows(rows: QuerySet[Habilitation], sort: str) -> QuerySet[Habilitation]:
    """Order by a validated ``tri`` key (see ``SORTS``)."""
    if sort not in SORTS:
        sort = DEFAULT_SORT
    descending = sort.startswith("-")
    fields = SORT_FIELDS[sort.lstrip("-")]
    # NULLs (no unit, never signed in) come first when ascending, on SQLite and PostgreSQL alike.
    # Only nullable columns say so: a plain order on the others lets PostgreSQL read the first
    # page from an index (people by name) instead of sorting every row of the establishment.
    ordering: list[OrderBy] = [
        F(name).desc(nulls_last=name in NULLABLE_SORT_FIELDS or None)
        if descending
        else F(name).asc(nulls_first=name in NULLABLE_SORT_FIELDS or None)
        for name in fields
    ]
    return rows.order_by(
        *ordering, "user__last_name", "user__first_name", "establishment__name", "pk"
    )


@dataclass(frozen=True)
class Summary:
    active: int
    ending_soon: int
    blocked_people: int
    charter_pending_people: int
    units_without_referent: int
    # Set when the numbers come from the cache (see ``summary_for_page``).
    computed_at: datetime.datetime | None = None


# The summary counts every right of the establishment: a few milliseconds for most, but
# about half a second for a teaching hospital with 50,000 rights. When it takes longer than
# this, the numbers are kept in the cache for SUMMARY_CACHE_SECONDS and the page says when
# they were computed; the table itself is always live.
SUMMARY_SLOW_SECONDS = 0.2
SUMMARY_CACHE_SECONDS = 60


def summary_for_page(
    rows: QuerySet[Habilitation], scope: Scope, establishment_ids: list[int]
) -> Summary:
    """``summary``, from the shared cache when it was slow to compute a moment ago.

    The key names what the reviewer sees: the establishments, and for a unit's director the
    units reviewed (never an establishment's numbers to a unit's director)."""
    whole = (
        sorted(establishment_ids)
        if scope.is_platform_admin
        else sorted(set(establishment_ids) & scope.reviewed_establishment_ids)
    )
    units = [] if scope.is_platform_admin else sorted(scope.reviewed_unit_ids)
    ids = f"{sorted(establishment_ids)}|{whole}|{units}"
    digest = hashlib.sha256(ids.encode()).hexdigest()[:32]
    key = f"reviews:summary:{timezone.localdate().isoformat()}:{digest}"
    reviewed_units = scope.reviewed_units(
        Unit.objects.filter(establishment_id__in=establishment_ids)
    )
    try:
        cached = cache.get(key)
    except Exception:  # an unreachable Redis: count live rather than fail the page
        logger.warning("Cache unreachable: review summary computed live", exc_info=True)
        return summary(rows, reviewed_units)
    if isinstance(cached, Summary):
        return cached
    started = time.monotonic()
    numbers = summary(rows, reviewed_units)
    if time.monotonic() - started > SUMMARY_SLOW_SECONDS:
        kept = dataclasses.replace(numbers, computed_at=timezone.now())
        try:
            cache.set(key, kept, SUMMARY_CACHE_SECONDS)
        except Exception:
            logger.warning("Cache unreachable: review summary not kept", exc_info=True)
    return numbers


def summary(rows: QuerySet[Habilitation], units: QuerySet[Unit]) -> Summary:
    """The numbers at the top of the table, for the reviewed structures (two queries).

    ``rows`` are the unfiltered ``review_rows`` of those structures, ``units`` their units.
    People are counted once however many active rights they hold.
    """
    today = timezone.localdate()
    active = Q(review_status=ACTIVE)
    numbers = rows.order_by().aggregate(
        active=Count("pk", filter=active),
        ending_soon=Count("pk", filter=_ending_within(today, settings.ENDING_SOON_DAYS)),
        blocked_people=Count(
            "user", distinct=True, filter=active & Q(user__blocked_at__isnull=False)
        ),
        charter_pending_people=Count(
            "user", distinct=True, filter=active & Q(charter_accepted=False)
        ),
    )
    return Summary(**numbers, units_without_referent=units_without_referent(units))


def units_without_referent(units: QuerySet[Unit]) -> int:
    """Active ``units`` with no active référent of their own (their establishment's serve
    them), by the same rule as ``accounts.selectors.referents_for``."""
    own_referent = (
        Habilitation.objects.active_on()
        .referents()
        .filter(unit=OuterRef("pk"), user__is_active=True)
    )
    return units.filter(is_active=True).exclude(Exists(own_referent)).count()
