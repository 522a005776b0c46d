"""No one ever gains power outside the closure of the scope they started with (property-based).

Hypothesis builds random worlds (two establishments, their units, people holding random
référent, director and nurse rights) and random sequences of grants, modifications, extensions
and ends by random actors through the services. After every step:

- ``Scope`` gives each person exactly the power their in-force rights carry, each on its own
  structure (a unit-level right never reaches its establishment);
- every right a step created or changed carries only power within its *bound*: the closure of
  the bounds of the actor's own rights at that moment, a right of the starting world being
  bound by the closure of its own power. So whatever passes from person to person, directly or
  through people they granted, stays within the closure of some starting scope.

Power is a set of (capability, structure) pairs, a right on an establishment covering its units.
The closure adds what an establishment's référent may hand out beyond their own power: naming
the establishment's directors (on it or on its units).
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services
from accounts.models import Habilitation, Profile
from accounts.scope import Scope

PROFILES = [Profile.REFERENT, Profile.DIRECTOR, "infirmier"]
PEOPLE = 4
# Structures: establishment A, its units A1 and A2; establishment B, its unit B1.
STRUCTURES = ["A", "A1", "A2", "B", "B1"]

Power = frozenset[tuple[str, str]]


def subtree(structure: str) -> list[str]:
    return (
        [s for s in STRUCTURES if s.startswith(structure)] if len(structure) == 1 else [structure]
    )


def power_of(profile: Profile, structure: str) -> Power:
    pairs = set()
    for node in subtree(structure):
        if profile.administers_accounts:
            pairs.add(("administer", node))
        if profile.reviews_habilitations:
            pairs.add(("review", node))
    return frozenset(pairs)


def closure(power: Power) -> Power:
    extra = {
        ("review", node)
        for capability, establishment in power
        if capability == "administer" and len(establishment) == 1
        for node in subtree(establishment)
    }
    return frozenset(power | extra)


class World:
    def __init__(self, make) -> None:
        a, b = make.establishment(name="A"), make.establishment(name="B")
        self.objects = {
            "A": (a, None),
            "A1": (a, make.unit(a, name="A1")),
            "A2": (a, make.unit(a, name="A2")),
            "B": (b, None),
            "B1": (b, make.unit(b, name="B1")),
        }
        self.people = [make.user(email=f"p{n}@example.test") for n in range(PEOPLE)]
        self.profiles = [Profile.objects.get(code=code) for code in PROFILES]
        self.bound: dict[int, Power] = {}

    def name_of(self, right: Habilitation) -> str:
        return next(
            name
            for name, (establishment, unit) in self.objects.items()
            if establishment.pk == right.establishment_id
            and (unit.pk if unit else None) == right.unit_id
        )

    def power(self, right: Habilitation) -> Power:
        return power_of(right.profile, self.name_of(right))

    def in_force(self, person) -> list[Habilitation]:
        return list(Habilitation.objects.active_on().filter(user=person).select_related("profile"))

    def check_scopes(self) -> None:
        for person in self.people:
            held = frozenset().union(*(self.power(r) for r in self.in_force(person)))
            scope = Scope.for_user(person)
            for name, (establishment, unit) in self.objects.items():
                unit_pk = unit.pk if unit else None
                assert scope.administers(establishment.pk, unit_pk) == (
                    ("administer", name) in held
                ), (person, name)
                assert scope.reviews(establishment.pk, unit_pk) == (("review", name) in held), (
                    person,
                    name,
                )


right_spec = st.tuples(
    st.integers(0, PEOPLE - 1), st.integers(0, len(PROFILES) - 1), st.sampled_from(STRUCTURES)
)
step_spec = st.tuples(
    st.sampled_from(["grant", "grant", "modify", "extend", "end"]),
    st.integers(0, PEOPLE - 1),  # actor
    st.integers(0, PEOPLE - 1),  # person granted
    st.integers(0, len(PROFILES) - 1),
    st.sampled_from(STRUCTURES),
    st.integers(0, 30),  # which existing right
)


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    start=st.lists(right_spec, min_size=2, max_size=8),
    steps=st.lists(step_spec, min_size=1, max_size=10),
)
def test_power_never_leaves_the_closure_of_the_starting_scopes(make, start, steps):
    with transaction.atomic():
        world = World(make)
        today = timezone.localdate()
        for person, profile, structure in start:
            establishment, unit = world.objects[structure]
            right = Habilitation.objects.create(
                user=world.people[person],
                profile=world.profiles[profile],
                establishment=establishment,
                unit=unit,
                start_date=today - datetime.timedelta(days=10),
                end_date=today + datetime.timedelta(days=200),
            )
            world.bound[right.pk] = closure(world.power(right))
        world.check_scopes()

        for kind, actor_n, person_n, profile_n, structure, right_n in steps:
            actor = world.people[actor_n]
            # The bound of whatever the actor creates: the closure of what they hold now.
            actor_bound = closure(
                frozenset().union(*(world.bound[r.pk] for r in world.in_force(actor)))
            )
            rights = list(Habilitation.objects.order_by("pk"))
            target = rights[right_n % len(rights)] if rights else None
            establishment, unit = world.objects[structure]
            try:
                if kind == "grant":
                    changed = services.habilitation_grant(
                        actor=actor,
                        user=world.people[person_n],
                        profile=world.profiles[profile_n],
                        establishment=establishment,
                        unit=unit,
                    )
                elif kind == "modify" and target is not None:
                    if target.establishment_id != establishment.pk:
                        unit = None if target.unit_id is None else target.unit
                    changed = services.habilitation_modify(
                        actor=actor,
                        habilitation=target,
                        profile=world.profiles[profile_n],
                        unit=unit,
                        start_date=target.start_date,
                        end_date=target.end_date,
                    )
                elif kind == "extend" and target is not None:
                    services.habilitation_extend(
                        actor=actor,
                        habilitation=target,
                        end_date=max(target.end_date, today) + datetime.timedelta(days=30),
                    )
                    changed = None
                elif kind == "end" and target is not None:
                    services.habilitation_end(actor=actor, habilitation=target, reason="test")
                    changed = None
                else:
                    changed = None
            except (ValidationError, services.NotAllowed):
                changed = None
            if changed is not None:
                changed = Habilitation.objects.select_related("profile").get(pk=changed.pk)
                assert world.power(changed) <= actor_bound, (kind, actor, changed)
                world.bound[changed.pk] = actor_bound
            world.check_scopes()
        transaction.set_rollback(True)
