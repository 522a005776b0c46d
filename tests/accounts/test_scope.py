"""Rule 2: which structures, habilitations and people a person administers."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Habilitation, User
from accounts.scope import Scope
from tests.factory import days, today


def people(user):
    return set(Scope.for_user(user).people().values_list("email", flat=True))


def habilitation_ids(user):
    return set(Scope.for_user(user).habilitations().values_list("pk", flat=True))


def test_an_establishment_referent_administers_all_its_units(
    make, hospital, cardiology, geriatrics, establishment_referent, agent
):
    nurse = make.user()
    make.habilitation(nurse, geriatrics)
    scope = Scope.for_user(establishment_referent)
    assert scope.administers(hospital.pk)
    assert scope.administers(hospital.pk, cardiology.pk)
    assert scope.administers(hospital.pk, geriatrics.pk)
    assert {agent.email, nurse.email} <= people(establishment_referent)
    assert set(scope.units()) == {cardiology, geriatrics}
    assert list(scope.establishments()) == [hospital]


def test_a_unit_referent_administers_that_unit_only(
    make, hospital, cardiology, geriatrics, unit_referent, agent
):
    nurse = make.user()
    make.habilitation(nurse, geriatrics)
    doctor = make.user()
    make.habilitation(doctor, hospital, "medecin")  # establishment level: not the unit's
    scope = Scope.for_user(unit_referent)
    assert scope.administers(hospital.pk, cardiology.pk)
    assert not scope.administers(hospital.pk)
    assert not scope.administers(hospital.pk, geriatrics.pk)
    assert people(unit_referent) == {agent.email, unit_referent.email}
    assert list(scope.units()) == [cardiology]
    assert list(scope.establishments()) == [hospital]


def test_a_referent_of_another_establishment_sees_nothing_here(
    hospital, agent, establishment_referent, other_referent
):
    scope = Scope.for_user(other_referent)
    assert not scope.administers(hospital.pk)
    assert agent.email not in people(other_referent)
    assert establishment_referent.email not in people(other_referent)
    assert not set(agent.habilitations.values_list("pk", flat=True)) & habilitation_ids(
        other_referent
    )


def test_a_person_in_two_establishments_is_seen_by_each_referent_for_their_part_only(
    make, hospital, other_hospital, establishment_referent, other_referent
):
    person = make.user()
    here = make.habilitation(person, hospital, "medecin")
    there = make.habilitation(person, other_hospital, "medecin")
    assert here.pk in habilitation_ids(establishment_referent)
    assert there.pk not in habilitation_ids(establishment_referent)
    assert there.pk in habilitation_ids(other_referent)
    assert here.pk not in habilitation_ids(other_referent)


def test_staff_and_directors_administer_nothing(hospital, agent, director):
    for user in (agent, director):
        scope = Scope.for_user(user)
        assert not scope.administers_anything
        assert not scope.people().exists()
        assert not scope.habilitations().exists()
        assert not scope.units().exists()
        assert not scope.establishments().exists()


def test_a_director_reviews_their_establishment(hospital, other_hospital, director, agent):
    scope = Scope.for_user(director)
    assert scope.reviews(hospital.pk)
    assert not scope.reviews(other_hospital.pk)
    assert set(agent.habilitations.all()) <= set(scope.reviewed_habilitations())


def test_expired_ended_or_future_referent_rights_give_no_scope(make, hospital, platform_admin):
    expired = make.user()
    make.habilitation(
        expired, hospital, "referent", start=today() - days(30), end=today() - days(1)
    )
    future = make.user()
    make.habilitation(future, hospital, "referent", start=today() + days(1))
    ended = make.referent(hospital)
    Habilitation.objects.filter(user=ended).update(
        ended_at=timezone.now(), ended_by=platform_admin, end_reason="Départ"
    )
    for user in (expired, future, ended):
        assert not Scope.for_user(user).administers(hospital.pk)


def test_blocked_or_inactive_referents_have_no_scope(make, hospital):
    blocked = make.referent(hospital, blocked_at=timezone.now(), blocked_reason="5 échecs")
    inactive = make.referent(hospital, is_active=False)
    assert not Scope.for_user(blocked).administers_anything
    assert not Scope.for_user(inactive).administers_anything


def test_a_closed_establishments_referent_has_no_scope(hospital, establishment_referent):
    hospital.is_active = False
    hospital.save()
    assert not Scope.for_user(establishment_referent).administers(hospital.pk)


def test_platform_admin_administers_everything(platform_admin, hospital, other_hospital, agent):
    scope = Scope.for_user(platform_admin)
    assert scope.administers(hospital.pk)
    assert scope.administers(other_hospital.pk)
    assert scope.reviews(hospital.pk)
    assert set(scope.people()) == set(User.objects.all())


def test_scope_is_one_query_and_its_filters_add_none(
    make, hospital, cardiology, establishment_referent, unit_referent
):
    for unit in [make.unit(hospital) for _ in range(5)]:
        make.referent(unit)
    with CaptureQueriesContext(connection) as queries:
        scope = Scope.for_user(establishment_referent)
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        list(scope.people())
    assert len(queries) == 1


def test_account_events_of_people_in_scope_are_in_the_referents_audit_trail(
    agent, establishment_referent, unit_referent, other_referent, cardiology
):
    from audit import trail
    from audit.models import AuditEvent

    failed = trail.record(action=AuditEvent.Action.SIGNIN_FAILED, target_user=agent)
    unrelated = trail.record(action=AuditEvent.Action.SIGNIN_FAILED, target_user=other_referent)
    edited = trail.record(action=AuditEvent.Action.UNIT_EDITED, unit=cardiology)
    assert set(Scope.for_user(establishment_referent).audit_events()) == {failed, edited}
    assert set(Scope.for_user(unit_referent).audit_events()) == {failed, edited}
    assert set(Scope.for_user(other_referent).audit_events()) == {unrelated}
    assert not Scope.for_user(agent).audit_events().exists()
