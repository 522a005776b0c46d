"""Each written SQL query answers what its ORM twin answers, on a generated world.

The world (random, seeded by hypothesis): two establishments, one of them closed, with open and
deactivated units; people, some blocked or inactive, holding référent, director and nurse
rights that are active, ended (today or earlier), expired or yet to start; charter versions,
one not yet published, accepted by some.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import selectors
from accounts.models import Charter, CharterAcceptance, Habilitation, Profile
from structures.models import Establishment, Unit

STATES = ["active", "ended_today", "ended_before", "expired", "future", "ends_today"]
PROFILES = [Profile.REFERENT, Profile.DIRECTOR, "infirmier"]

right_spec = st.tuples(
    st.integers(0, 5),  # person
    st.sampled_from(PROFILES),
    st.integers(0, 5),  # structure
    st.sampled_from(STATES),
)


def build(make, rights, blocked, inactive, charters):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    open_one = make.establishment(name="Ouvert")
    closed = make.establishment(name="Fermé", is_active=False)
    structures = [
        open_one,
        make.unit(open_one, name="U ouverte"),
        make.unit(open_one, name="U fermée", is_active=False),
        closed,
        make.unit(closed, name="U de l'établissement fermé"),
        make.unit(open_one, name="Autre unité"),
    ]
    people = [
        make.user(
            email=f"p{n}@example.test",
            blocked_at=timezone.now() if n in blocked else None,
            blocked_reason="x" if n in blocked else "",
            is_active=n not in inactive,
        )
        for n in range(6)
    ]
    for person, profile, structure, state in rights:
        start, end, ended_at = today - 10 * day, today + 100 * day, None
        if state == "ended_today":
            ended_at = timezone.now()
        elif state == "ended_before":
            ended_at = timezone.now() - 3 * day
        elif state == "expired":
            end = today - day
        elif state == "future":
            start = today + 5 * day
        elif state == "ends_today":
            end = today
        target = structures[structure]
        Habilitation.objects.create(
            user=people[person],
            profile=Profile.objects.get(code=profile),
            establishment=target if isinstance(target, Establishment) else target.establishment,
            unit=target if isinstance(target, Unit) else None,
            start_date=start,
            end_date=end,
            ended_at=ended_at,
            end_reason="fin" if ended_at else "",
        )
    for version, (published, accepted_by) in enumerate(charters, start=1):
        charter = Charter.objects.create(
            version=version,
            title=f"v{version}",
            body="…",
            published_at=timezone.now() + (-day if published else day),
        )
        for n in accepted_by:
            CharterAcceptance.objects.create(user=people[n], charter=charter)
    return people, structures


def describe(structure) -> tuple:
    establishment = structure if isinstance(structure, Establishment) else structure.establishment
    region = establishment.departement.region
    return (
        type(structure).__name__,
        structure.pk,
        structure.name,
        establishment.name,
        establishment.finess,
        region.code,
        region.support_email,
    )


world = {
    "rights": st.lists(right_spec, max_size=14),
    "blocked": st.sets(st.integers(0, 5), max_size=2),
    "inactive": st.sets(st.integers(0, 5), max_size=1),
    "charters": st.lists(
        st.tuples(st.booleans(), st.sets(st.integers(0, 5), max_size=3)), max_size=3
    ),
}
twin_settings = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.django_db
@twin_settings
@given(**world)
def test_own_structures(make, rights, blocked, inactive, charters):
    with transaction.atomic():
        people, _structures = build(make, rights, blocked, inactive, charters)
        for person in people:
            written = selectors.own_structures(person)
            orm = selectors.own_structures_orm(person)
            assert [describe(s) for s in written.structures] == [
                describe(s) for s in orm.structures
            ]
            assert sorted(written.rights, key=repr) == sorted(orm.rights, key=repr)
        transaction.set_rollback(True)


@pytest.mark.django_db
@twin_settings
@given(**world)
def test_referents_and_directors(make, rights, blocked, inactive, charters):
    def rows(found):
        return sorted(
            (h.pk, h.role, h.user.email, h.user.is_blocked, h.user.last_name) for h in found
        )

    with transaction.atomic():
        _people, structures = build(make, rights, blocked, inactive, charters)
        establishments = {s.pk for s in structures if isinstance(s, Establishment)}
        units = {s.pk for s in structures if isinstance(s, Unit)}
        assert rows(selectors._referents_and_directors(establishments, units, None)) == rows(
            selectors._referents_and_directors_orm(establishments, units, None)
        )
        transaction.set_rollback(True)


@pytest.mark.django_db
@twin_settings
@given(**world)
def test_signed_in_person(make, rights, blocked, inactive, charters):
    with transaction.atomic():
        people, _structures = build(make, rights, blocked, inactive, charters)
        for person in people:
            written = selectors.signed_in_person(person.pk)
            orm = selectors.signed_in_person_orm(person.pk)
            assert (written.pk, written.email, written.is_blocked, written.is_active) == (
                orm.pk,
                orm.email,
                orm.is_blocked,
                orm.is_active,
            )
            assert written.current_charter_id == orm.current_charter_id
            assert written.current_charter_accepted == orm.current_charter_accepted
        assert selectors.signed_in_person(10**9) is None
        transaction.set_rollback(True)
