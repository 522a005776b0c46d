"""Who administers what: the one place where a person's scope is computed.

Every capability a right carries applies to that right's own structure only. A référent of an
establishment administers every unit of it; a référent of a unit administers that unit only. A
director of an establishment reviews every right of it; a director of a unit reviews the rights
of that unit only, never its establishment's. Platform administrators administer and review
everything. Views apply the scope as queryset
filters (``habilitations()``, ``people()``, ``establishments()``, ``units()``), so lists and
pagination only ever contain what the person may see, and out-of-scope objects are 404.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Habilitation, Profile, User
from audit.models import AuditEvent
from structures.models import Establishment, Unit


@dataclass(frozen=True)
class Scope:
    is_platform_admin: bool = False
    # Establishments administered as a whole (establishment-level référent).
    establishment_ids: frozenset[int] = frozenset()
    # Units administered on their own (unit-level référent), outside those establishments.
    unit_ids: frozenset[int] = frozenset()
    # Establishments whose habilitations the person reviews as a whole (establishment director).
    reviewed_establishment_ids: frozenset[int] = frozenset()
    # Establishment of each administered unit, so that establishments() needs no extra query.
    unit_establishment_ids: frozenset[int] = frozenset()
    # Units reviewed on their own (unit-level director), outside the establishments above.
    reviewed_unit_ids: frozenset[int] = frozenset()
    # Establishment of each reviewed unit.
    reviewed_unit_establishment_ids: frozenset[int] = frozenset()

    @classmethod
    def for_user(cls, user: User, on: datetime.date | None = None) -> Scope:
        """Compute the scope of ``user`` from their active habilitations (one query)."""
        if not user.is_authenticated or not user.is_active or user.is_blocked:
            return cls()
        if user.is_platform_admin:
            return cls(is_platform_admin=True)
        rows = (
            Habilitation.objects.active_on(on)
            .filter(user=user)
            .filter(Q(profile__administers_accounts=True) | Q(profile__reviews_habilitations=True))
            .values_list(
                "establishment_id",
                "unit_id",
                "profile__administers_accounts",
                "profile__reviews_habilitations",
            )
        )
        return cls.from_rights(rows)

    @classmethod
    def from_rights(cls, rows: Iterable[tuple[int, int | None, bool, bool]]) -> Scope:
        """The scope given by active rights: (establishment id, unit id or None, administers
        accounts, reviews habilitations), for a person who is not a platform administrator.
        Pages that load the person's active rights anyway build the scope from them."""
        establishments: set[int] = set()
        units: dict[int, int] = {}
        reviewed: set[int] = set()
        reviewed_units: dict[int, int] = {}
        for establishment_id, unit_id, administers, reviews in rows:
            if administers:
                if unit_id is None:
                    establishments.add(establishment_id)
                else:
                    units[unit_id] = establishment_id
            if reviews:
                if unit_id is None:
                    reviewed.add(establishment_id)
                else:
                    reviewed_units[unit_id] = establishment_id
        # A unit of an establishment already covered as a whole adds nothing.
        units = {u: e for u, e in units.items() if e not in establishments}
        reviewed_units = {u: e for u, e in reviewed_units.items() if e not in reviewed}
        return cls(
            establishment_ids=frozenset(establishments),
            unit_ids=frozenset(units),
            reviewed_establishment_ids=frozenset(reviewed),
            unit_establishment_ids=frozenset(units.values()),
            reviewed_unit_ids=frozenset(reviewed_units),
            reviewed_unit_establishment_ids=frozenset(reviewed_units.values()),
        )

    # --- Questions

    @property
    def administers_anything(self) -> bool:
        return self.is_platform_admin or bool(self.establishment_ids or self.unit_ids)

    @property
    def reviews_anything(self) -> bool:
        return self.is_platform_admin or bool(
            self.reviewed_establishment_ids or self.reviewed_unit_ids
        )

    @property
    def reviews_whole_establishments(self) -> bool:
        """Review campaigns cover a whole establishment: only its directors run them."""
        return self.is_platform_admin or bool(self.reviewed_establishment_ids)

    @property
    def reviewable_establishment_ids(self) -> frozenset[int]:
        """Establishments where this person reviews the whole or at least one unit."""
        return self.reviewed_establishment_ids | self.reviewed_unit_establishment_ids

    def administers(self, establishment_id: int, unit_id: int | None = None) -> bool:
        """May this person manage rights on that structure (the establishment, or its unit)?"""
        if self.is_platform_admin or establishment_id in self.establishment_ids:
            return True
        return unit_id is not None and unit_id in self.unit_ids

    def administers_habilitation(self, habilitation: Habilitation) -> bool:
        return self.administers(habilitation.establishment_id, habilitation.unit_id)

    def reviews(self, establishment_id: int, unit_id: int | None = None) -> bool:
        """May this person review the rights of that structure (the establishment as a whole,
        or its unit)?"""
        if self.is_platform_admin or establishment_id in self.reviewed_establishment_ids:
            return True
        return unit_id is not None and unit_id in self.reviewed_unit_ids

    def may_grant(self, profile: Profile, establishment_id: int, unit_id: int | None) -> bool:
        """May this person grant ``profile`` on that structure (or modify a right into it)?

        Nobody hands out a capability they do not hold over that structure themselves: a
        référent profile needs the référent's own right there, a director profile the
        director's own right there, except that an establishment's référents name its
        directors (on the establishment or any of its units). Platform administrators grant
        everything.
        """
        if self.is_platform_admin:
            return True
        if not self.administers(establishment_id, unit_id):
            return False
        if profile.reviews_habilitations:
            return (
                self.reviews(establishment_id, unit_id)
                or establishment_id in self.establishment_ids
            )
        return True

    def grantable_profiles(self, queryset: QuerySet[Profile] | None = None) -> QuerySet[Profile]:
        """Profiles this person may grant on at least one structure (the forms' choices)."""
        queryset = Profile.objects.all() if queryset is None else queryset
        names_directors = (
            self.is_platform_admin
            or self.establishment_ids
            or self.reviewed_establishment_ids & self.unit_establishment_ids
            or self.reviewed_unit_ids & self.unit_ids
        )
        return queryset if names_directors else queryset.filter(reviews_habilitations=False)

    # --- Querysets limited to the scope

    def _habilitation_filter(self, prefix: str = "") -> Q:
        if self.is_platform_admin:
            return Q()
        return Q(**{f"{prefix}establishment_id__in": self.establishment_ids}) | Q(
            **{f"{prefix}unit_id__in": self.unit_ids}
        )

    def habilitations(self, queryset: QuerySet[Habilitation] | None = None) -> QuerySet:
        """Habilitations (of any status) on the structures this person administers."""
        queryset = Habilitation.objects.all() if queryset is None else queryset
        if not self.administers_anything:
            return queryset.none()
        return queryset.filter(self._habilitation_filter())

    def people(self, queryset: QuerySet[User] | None = None) -> QuerySet[User]:
        """People holding at least one habilitation (of any status) in this scope."""
        queryset = User.objects.all() if queryset is None else queryset
        if not self.administers_anything:
            return queryset.none()
        if self.is_platform_admin:
            return queryset
        in_scope = Habilitation.objects.filter(self._habilitation_filter(), user=OuterRef("pk"))
        return queryset.filter(Exists(in_scope))

    def establishments(self, queryset: QuerySet[Establishment] | None = None) -> QuerySet:
        """Establishments where this person administers the whole or at least one unit."""
        queryset = Establishment.objects.all() if queryset is None else queryset
        if self.is_platform_admin:
            return queryset
        return queryset.filter(pk__in=self.establishment_ids | self.unit_establishment_ids)

    def units(self, queryset: QuerySet[Unit] | None = None) -> QuerySet[Unit]:
        """Units this person administers."""
        queryset = Unit.objects.all() if queryset is None else queryset
        if self.is_platform_admin:
            return queryset
        if not self.administers_anything:
            return queryset.none()
        return queryset.filter(
            Q(establishment_id__in=self.establishment_ids) | Q(pk__in=self.unit_ids)
        )

    def reviewed_habilitations(self, queryset: QuerySet[Habilitation] | None = None) -> QuerySet:
        """Every habilitation of the structures this person reviews as director."""
        queryset = Habilitation.objects.all() if queryset is None else queryset
        if self.is_platform_admin:
            return queryset
        return self._reviewed(queryset, "unit_id")

    def reviewed_units(self, queryset: QuerySet[Unit] | None = None) -> QuerySet[Unit]:
        """Units whose rights this person reviews (those of whole establishments included)."""
        queryset = Unit.objects.all() if queryset is None else queryset
        if self.is_platform_admin:
            return queryset
        return self._reviewed(queryset, "pk")

    def _reviewed(self, queryset: QuerySet, unit_field: str) -> QuerySet:
        """Rows of the reviewed establishments, or of the reviewed units (``unit_field``)."""
        if not self.reviews_anything:
            return queryset.none()
        return queryset.filter(
            Q(establishment_id__in=self.reviewed_establishment_ids)
            | Q(**{f"{unit_field}__in": self.reviewed_unit_ids})
        )

    def audit_events(self, queryset: QuerySet[AuditEvent] | None = None) -> QuerySet[AuditEvent]:
        """The audit trail of this scope: changes on its structures, and the account events
        (sign-ins, blocking, charter) of the people holding a habilitation in it."""
        queryset = AuditEvent.objects.all() if queryset is None else queryset
        if self.is_platform_admin:
            return queryset
        if not self.administers_anything:
            return queryset.none()
        person_in_scope = Habilitation.objects.filter(
            self._habilitation_filter(), user=OuterRef("target_user_id")
        )
        return queryset.filter(
            Q(establishment_id__in=self.establishment_ids)
            | Q(unit_id__in=self.unit_ids)
            | (Q(establishment__isnull=True) & Exists(person_in_scope))
        )
