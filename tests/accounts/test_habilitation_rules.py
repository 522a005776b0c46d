"""When is a habilitation in force? (docs/domain.md, "Rules")."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Habilitation
from tests.factory import days, today


def active_ids(day=None):
    return set(Habilitation.objects.active_on(day).values_list("pk", flat=True))


@pytest.fixture
def person(make):
    return make.user()


def test_starting_today_is_active(make, person, hospital):
    habilitation = make.habilitation(person, hospital, start=today(), end=today() + days(10))
    assert habilitation.is_active_on()
    assert habilitation.pk in active_ids()
    assert habilitation.status == "active"


def test_ending_today_is_still_active_and_not_tomorrow(make, person, hospital):
    habilitation = make.habilitation(person, hospital, start=today() - days(10), end=today())
    assert habilitation.is_active_on(today())
    assert habilitation.pk in active_ids(today())
    assert not habilitation.is_active_on(today() + days(1))
    assert habilitation.pk not in active_ids(today() + days(1))


def test_expired_is_not_active(make, person, hospital):
    habilitation = make.habilitation(
        person, hospital, start=today() - days(20), end=today() - days(1)
    )
    assert not habilitation.is_active_on()
    assert habilitation.pk not in active_ids()
    assert habilitation.status == "expired"


def test_future_dated_is_not_active_until_it_starts(make, person, hospital):
    habilitation = make.habilitation(
        person, hospital, start=today() + days(3), end=today() + days(30)
    )
    assert not habilitation.is_active_on()
    assert habilitation.pk not in active_ids()
    assert habilitation.status == "future"
    assert habilitation.pk in active_ids(today() + days(3))


def test_ended_early_stops_at_once_and_keeps_the_row(make, person, hospital, platform_admin):
    habilitation = make.habilitation(person, hospital)
    habilitation.ended_at = timezone.now()
    habilitation.ended_by = platform_admin
    habilitation.end_reason = "Départ de l'établissement"
    habilitation.save()
    assert not habilitation.is_active_on()
    assert habilitation.pk not in active_ids()
    assert habilitation.status == "ended"
    # It was in force the day before it was ended, and the row is still there.
    assert habilitation.pk in active_ids(today() - days(1))
    assert habilitation.is_active_on(today() - days(1))
    assert Habilitation.objects.filter(pk=habilitation.pk).exists()


def test_closed_establishment_gives_no_right(make, person, hospital):
    habilitation = make.habilitation(person, hospital)
    hospital.is_active = False
    hospital.save()
    habilitation.refresh_from_db()
    assert not habilitation.is_active_on()
    assert habilitation.pk not in active_ids()


def test_deactivated_unit_gives_no_right(make, person, cardiology):
    habilitation = make.habilitation(person, cardiology)
    assert habilitation.pk in active_ids()
    cardiology.is_active = False
    cardiology.save()
    habilitation.refresh_from_db()
    assert not habilitation.is_active_on()
    assert habilitation.pk not in active_ids()


def test_database_refuses_end_before_start(make, person, hospital):
    with pytest.raises(IntegrityError), transaction.atomic():
        make.habilitation(person, hospital, start=today(), end=today() - days(1))


def test_database_refuses_an_end_reason_without_end_time(make, person, hospital):
    with pytest.raises(IntegrityError), transaction.atomic():
        make.habilitation(person, hospital, end_reason="oops")


def test_unit_must_belong_to_the_establishment(make, person, cardiology, other_hospital):
    habilitation = Habilitation(
        user=person,
        profile=make.profile("medecin"),
        establishment=other_hospital,
        unit=cardiology,
        start_date=today(),
        end_date=today() + days(1),
    )
    with pytest.raises(ValidationError) as error:
        habilitation.full_clean()
    assert "unit" in error.value.message_dict


@pytest.mark.django_db
def test_postgresql_refuses_a_unit_of_another_establishment(
    make, person, cardiology, other_hospital
):
    from django.db import connection

    if connection.vendor != "postgresql":
        # SQLite cannot add a composite foreign key to an existing table; the model checks it.
        assert connection.vendor == "sqlite"
        return
    with pytest.raises(IntegrityError), transaction.atomic():
        Habilitation.objects.create(
            user=person,
            profile=make.profile("medecin"),
            establishment=other_hospital,
            unit=cardiology,
            start_date=today(),
            end_date=today() + days(1),
        )
