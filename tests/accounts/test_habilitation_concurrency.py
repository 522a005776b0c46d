"""Two référents acting on the same habilitation at once: no lost update (PostgreSQL)."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts import services
from accounts.models import Habilitation, User
from audit.models import AuditEvent
from tests.concurrency import run_together
from tests.factory import Factory, days, today

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises)"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def two_referents_and_a_right(reference_data):
    make = Factory()
    hospital = make.establishment()
    first, second = make.referent(hospital), make.referent(hospital)
    nurse = make.user()
    right = make.habilitation(nurse, hospital, start=today() - days(10), end=today() + days(20))
    return first, second, right


def fresh(model, pk):
    return model.objects.get(pk=pk)


def test_extend_and_end_at_once_keep_both_or_refuse_one(two_referents_and_a_right):
    first, second, right = two_referents_and_a_right
    new_end = today() + days(200)
    results = run_together(
        lambda: services.habilitation_extend(
            actor=fresh(User, first.pk),
            habilitation=fresh(Habilitation, right.pk),
            end_date=new_end,
        ),
        lambda: services.habilitation_end(
            actor=fresh(User, second.pk),
            habilitation=fresh(Habilitation, right.pk),
            reason="départ",
        ),
    )
    right.refresh_from_db()
    assert right.ended_at is not None  # ending always succeeds
    extended = not isinstance(results[0], ValidationError)
    # Either the extension came first and is kept, or it came second and was refused:
    # never an extension silently overwritten by the end, or an ended right extended.
    assert right.end_date == (new_end if extended else today() + days(20))
    events = AuditEvent.objects.filter(target_user_id=right.user_id)
    assert events.filter(action=AuditEvent.Action.HABILITATION_ENDED).count() == 1
    assert events.filter(action=AuditEvent.Action.HABILITATION_EXTENDED).count() == int(extended)


def test_two_extensions_at_once_both_recorded_in_order(two_referents_and_a_right):
    first, second, right = two_referents_and_a_right
    a, b = today() + days(100), today() + days(150)
    results = run_together(
        lambda: services.habilitation_extend(
            actor=fresh(User, first.pk), habilitation=fresh(Habilitation, right.pk), end_date=a
        ),
        lambda: services.habilitation_extend(
            actor=fresh(User, second.pk), habilitation=fresh(Habilitation, right.pk), end_date=b
        ),
    )
    succeeded = [r for r in results if not isinstance(r, ValidationError)]
    right.refresh_from_db()
    events = list(
        AuditEvent.objects.filter(
            target_user_id=right.user_id, action=AuditEvent.Action.HABILITATION_EXTENDED
        ).order_by("id")
    )
    assert len(events) == len(succeeded) >= 1
    # Each event's "before" is the previous event's "after": nobody worked on a stale row.
    assert events[0].before["end_date"] == str(today() + days(20))
    for earlier, later in itertools.pairwise(events):
        assert later.before["end_date"] == earlier.after["end_date"]
    assert right.end_date == datetime.date.fromisoformat(events[-1].after["end_date"])
