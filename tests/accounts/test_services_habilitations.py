"""The rules of accounts.services: scope, own rights, dates, duplicates, limits, audit."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services
from accounts.models import Habilitation, Profile, User
from accounts.scope import Scope
from audit.models import AuditEvent
from tests.factory import days, today


@pytest.fixture
def nurse(make):
    return make.profile("infirmier")


@pytest.fixture
def referent_profile(make):
    return make.profile(Profile.REFERENT)


@pytest.fixture
def person(make):
    return make.user(email="person@example.test", last_name="Roux")


# --- account_create


def test_create_account_without_password_and_first_right(
    establishment_referent, hospital, cardiology, nurse, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user, habilitation, created = services.account_create(
            actor=establishment_referent,
            last_name="Leroy",
            first_name="Anne",
            email="Anne.Leroy@Example.test",
            profile=nurse,
            establishment=hospital,
            unit=cardiology,
        )
    assert created
    assert user.email == "anne.leroy@example.test"
    assert not user.has_usable_password()
    assert habilitation.start_date == today()
    assert habilitation.end_date == today() + days(365)
    assert habilitation.granted_by == establishment_referent
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == [AuditEvent.Action.ACCOUNT_CREATED, AuditEvent.Action.HABILITATION_GRANTED]
    granted = AuditEvent.objects.get(action=AuditEvent.Action.HABILITATION_GRANTED)
    assert granted.after["profile"] == "infirmier"
    assert granted.after["unit"] == cardiology.pk
    assert granted.after["establishment"] == hospital.pk
    assert granted.after["start_date"] == today().isoformat()
    assert granted.actor == establishment_referent
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anne.leroy@example.test"]
    assert "/mot-de-passe/nouveau/" in mail.outbox[0].body
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_existing_address_gets_the_right_not_a_second_account(
    establishment_referent, hospital, nurse, make, django_capture_on_commit_callbacks
):
    existing = make.user(email="known@example.test", password="a-long-password-1")
    with django_capture_on_commit_callbacks(execute=True):
        user, _h, created = services.account_create(
            actor=establishment_referent,
            last_name="Other",
            first_name="Name",
            email="KNOWN@example.test",
            profile=nurse,
            establishment=hospital,
        )
    assert not created
    assert user == existing
    assert User.objects.filter(email="known@example.test").count() == 1
    assert existing.habilitations.count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_CREATED).exists()
    # Already has a password: told of the new right, no activation link.
    assert len(mail.outbox) == 1
    assert "/mot-de-passe/nouveau/" not in mail.outbox[0].body


def test_create_outside_scope_is_refused(other_referent, hospital, nurse):
    with pytest.raises(services.NotAllowed):
        services.account_create(
            actor=other_referent,
            last_name="X",
            first_name="Y",
            email="x@example.test",
            profile=nurse,
            establishment=hospital,
        )
    assert not User.objects.filter(email="x@example.test").exists()


def test_referent_cannot_give_themselves_a_right_through_create(
    establishment_referent, hospital, nurse
):
    with pytest.raises(ValidationError):
        services.account_create(
            actor=establishment_referent,
            last_name="X",
            first_name="Y",
            email=establishment_referent.email.upper(),
            profile=nurse,
            establishment=hospital,
        )
    assert establishment_referent.habilitations.count() == 1


# --- habilitation_grant


def test_unit_referent_grants_on_their_unit_only(
    unit_referent, person, hospital, cardiology, geriatrics, nurse
):
    services.habilitation_grant(
        actor=unit_referent, user=person, profile=nurse, establishment=hospital, unit=cardiology
    )
    for establishment, unit in [(hospital, geriatrics), (hospital, None)]:
        with pytest.raises(services.NotAllowed):
            services.habilitation_grant(
                actor=unit_referent,
                user=person,
                profile=nurse,
                establishment=establishment,
                unit=unit,
            )
    assert person.habilitations.count() == 1


def test_nobody_grants_outside_scope(other_referent, director, agent, person, hospital, nurse):
    for actor in (other_referent, director, agent):
        with pytest.raises(services.NotAllowed):
            services.habilitation_grant(
                actor=actor, user=person, profile=nurse, establishment=hospital
            )


def test_referent_profile_can_be_granted_within_scope(
    establishment_referent, person, cardiology, hospital, referent_profile
):
    habilitation = services.habilitation_grant(
        actor=establishment_referent,
        user=person,
        profile=referent_profile,
        establishment=hospital,
        unit=cardiology,
    )
    assert Scope.for_user(person).administers(hospital.pk, cardiology.pk)
    assert habilitation.profile == referent_profile


def test_nobody_grants_themselves(establishment_referent, platform_admin, hospital, nurse):
    for actor in (establishment_referent, platform_admin):
        with pytest.raises(ValidationError):
            services.habilitation_grant(
                actor=actor, user=actor, profile=nurse, establishment=hospital
            )


def test_end_before_start_is_refused(establishment_referent, person, hospital, nurse):
    with pytest.raises(ValidationError) as error:
        services.habilitation_grant(
            actor=establishment_referent,
            user=person,
            profile=nurse,
            establishment=hospital,
            start_date=today(),
            end_date=today() - days(1),
        )
    assert "end_date" in error.value.error_dict


def test_unit_must_belong_to_the_establishment(
    platform_admin, person, other_hospital, cardiology, nurse
):
    with pytest.raises(ValidationError):
        services.habilitation_grant(
            actor=platform_admin,
            user=person,
            profile=nurse,
            establishment=other_hospital,
            unit=cardiology,
        )


def test_no_overlapping_duplicate(make, establishment_referent, person, hospital, nurse):
    make.habilitation(person, hospital, start=today() - days(10), end=today() + days(10))
    with pytest.raises(ValidationError):
        services.habilitation_grant(
            actor=establishment_referent,
            user=person,
            profile=nurse,
            establishment=hospital,
            start_date=today() + days(5),
        )
    # After the current one: no overlap, fine.
    services.habilitation_grant(
        actor=establishment_referent,
        user=person,
        profile=nurse,
        establishment=hospital,
        start_date=today() + days(11),
    )
    assert person.habilitations.count() == 2


def test_ended_or_expired_rights_do_not_count_as_duplicates(
    make, establishment_referent, person, hospital, nurse
):
    make.habilitation(person, hospital, ended_at=timezone.now(), end_reason="départ", ended_by=None)
    make.habilitation(person, hospital, start=today() - days(100), end=today() - days(1))
    services.habilitation_grant(
        actor=establishment_referent, user=person, profile=nurse, establishment=hospital
    )


# --- habilitation_extend


def test_extend_within_the_limit(establishment_referent, agent, settings):
    habilitation = agent.habilitations.get()
    new_end = max(habilitation.end_date, today()) + days(settings.HABILITATION_MAX_EXTENSION_DAYS)
    before = habilitation.end_date
    services.habilitation_extend(
        actor=establishment_referent, habilitation=habilitation, end_date=new_end
    )
    habilitation.refresh_from_db()
    assert habilitation.end_date == new_end
    event = AuditEvent.objects.get(action=AuditEvent.Action.HABILITATION_EXTENDED)
    assert event.before["end_date"] == before.isoformat()
    assert event.after["end_date"] == new_end.isoformat()
    assert event.target_user == agent


def test_extend_beyond_the_limit_is_refused(establishment_referent, agent, settings):
    habilitation = agent.habilitations.get()
    too_far = habilitation.end_date + days(settings.HABILITATION_MAX_EXTENSION_DAYS + 1)
    with pytest.raises(ValidationError) as error:
        services.habilitation_extend(
            actor=establishment_referent, habilitation=habilitation, end_date=too_far
        )
    assert "end_date" in error.value.error_dict
    assert not AuditEvent.objects.exists()


def test_limit_counts_from_today_when_the_end_is_near(make, establishment_referent, hospital):
    person = make.user()
    habilitation = make.habilitation(person, hospital, start=today() - days(300), end=today())
    target = today() + days(365)
    services.habilitation_extend(
        actor=establishment_referent, habilitation=habilitation, end_date=target
    )
    habilitation.refresh_from_db()
    assert habilitation.end_date == target


def test_expired_or_ended_cannot_be_extended(make, establishment_referent, hospital):
    person = make.user()
    expired = make.habilitation(person, hospital, start=today() - days(30), end=today() - days(1))
    ended = make.habilitation(
        person, hospital, profile="medecin", ended_at=timezone.now(), end_reason="x"
    )
    for habilitation in (expired, ended):
        with pytest.raises(ValidationError):
            services.habilitation_extend(
                actor=establishment_referent,
                habilitation=habilitation,
                end_date=today() + days(30),
            )


def test_extend_outside_scope_or_own_is_refused(
    establishment_referent, unit_referent, other_referent, agent, make, geriatrics
):
    habilitation = agent.habilitations.get()
    with pytest.raises(services.NotAllowed):
        services.habilitation_extend(
            actor=other_referent, habilitation=habilitation, end_date=habilitation.end_date
        )
    other_unit = make.habilitation(make.user(), geriatrics)
    with pytest.raises(services.NotAllowed):
        services.habilitation_extend(
            actor=unit_referent,
            habilitation=other_unit,
            end_date=other_unit.end_date + days(1),
        )
    own = establishment_referent.habilitations.get()
    with pytest.raises(ValidationError):
        services.habilitation_extend(
            actor=establishment_referent, habilitation=own, end_date=own.end_date + days(1)
        )


# --- habilitation_modify


def test_modify_profile_unit_and_dates(establishment_referent, agent, geriatrics, make):
    habilitation = agent.habilitations.get()
    doctor = make.profile("medecin")
    services.habilitation_modify(
        actor=establishment_referent,
        habilitation=habilitation,
        profile=doctor,
        unit=geriatrics,
        start_date=habilitation.start_date,
        end_date=habilitation.end_date - days(10),
    )
    habilitation.refresh_from_db()
    assert habilitation.profile == doctor
    assert habilitation.unit == geriatrics
    event = AuditEvent.objects.get(action=AuditEvent.Action.HABILITATION_MODIFIED)
    assert event.before["profile"] == "infirmier"
    assert event.after["profile"] == "medecin"
    assert event.after["unit"] == geriatrics.pk
    assert "start_date" not in event.after


def test_modify_to_another_establishments_unit_is_refused(
    platform_admin, agent, make, other_hospital
):
    habilitation = agent.habilitations.get()
    elsewhere = make.unit(other_hospital)
    with pytest.raises(ValidationError):
        services.habilitation_modify(
            actor=platform_admin,
            habilitation=habilitation,
            profile=habilitation.profile,
            unit=elsewhere,
            start_date=habilitation.start_date,
            end_date=habilitation.end_date,
        )


def test_unit_referent_cannot_move_a_right_out_of_their_unit(unit_referent, agent, geriatrics):
    habilitation = agent.habilitations.get()
    for unit in (geriatrics, None):
        with pytest.raises(services.NotAllowed):
            services.habilitation_modify(
                actor=unit_referent,
                habilitation=habilitation,
                profile=habilitation.profile,
                unit=unit,
                start_date=habilitation.start_date,
                end_date=habilitation.end_date,
            )


def test_modify_cannot_get_round_the_extension_limit(establishment_referent, agent, settings):
    habilitation = agent.habilitations.get()
    with pytest.raises(ValidationError):
        services.habilitation_modify(
            actor=establishment_referent,
            habilitation=habilitation,
            profile=habilitation.profile,
            unit=habilitation.unit,
            start_date=habilitation.start_date,
            end_date=habilitation.end_date + days(settings.HABILITATION_MAX_EXTENSION_DAYS + 1),
        )


def test_modify_without_change_writes_nothing(establishment_referent, agent):
    habilitation = agent.habilitations.get()
    services.habilitation_modify(
        actor=establishment_referent,
        habilitation=habilitation,
        profile=habilitation.profile,
        unit=habilitation.unit,
        start_date=habilitation.start_date,
        end_date=habilitation.end_date,
    )
    assert not AuditEvent.objects.exists()


# --- habilitation_end


def test_end_keeps_the_row_and_signs_out_after_the_last_right(establishment_referent, agent):
    habilitation = agent.habilitations.get()
    version = agent.session_version
    services.habilitation_end(
        actor=establishment_referent, habilitation=habilitation, reason="  Départ  "
    )
    habilitation.refresh_from_db()
    assert habilitation.ended_at is not None
    assert habilitation.ended_by == establishment_referent
    assert habilitation.end_reason == "Départ"
    assert habilitation.status == "ended"
    agent.refresh_from_db()
    assert agent.session_version == version + 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.HABILITATION_ENDED)
    assert event.after["end_reason"] == "Départ"
    assert event.before["ended_at"] is None


def test_end_keeps_sessions_while_another_right_is_active(
    make, establishment_referent, agent, hospital
):
    make.habilitation(agent, hospital, profile="medecin")
    version = agent.session_version
    services.habilitation_end(
        actor=establishment_referent,
        habilitation=agent.habilitations.get(profile__code="infirmier"),
        reason="Changement de poste",
    )
    agent.refresh_from_db()
    assert agent.session_version == version


def test_end_needs_a_reason_and_a_current_right(establishment_referent, agent):
    habilitation = agent.habilitations.get()
    with pytest.raises(ValidationError):
        services.habilitation_end(
            actor=establishment_referent, habilitation=habilitation, reason=" "
        )
    services.habilitation_end(actor=establishment_referent, habilitation=habilitation, reason="x")
    with pytest.raises(ValidationError):
        services.habilitation_end(
            actor=establishment_referent, habilitation=habilitation, reason="y"
        )


def test_end_outside_scope_is_refused(other_referent, director, agent):
    for actor in (other_referent, director):
        with pytest.raises(services.NotAllowed):
            services.habilitation_end(
                actor=actor, habilitation=agent.habilitations.get(), reason="x"
            )
    assert Habilitation.objects.filter(ended_at__isnull=False).count() == 0


def test_a_director_scope_can_be_passed_by_the_review(director, agent, hospital):
    review_scope = Scope(establishment_ids=Scope.for_user(director).reviewed_establishment_ids)
    services.habilitation_end(
        actor=director, habilitation=agent.habilitations.get(), reason="revue", scope=review_scope
    )
    assert agent.habilitations.get().ended_by == director


# --- Who serves the structure after the end


def test_last_establishment_referent_escalates(make, platform_admin, hospital, director):
    referent = make.referent(hospital)
    after = services.referents_after_ending(referent.habilitations.get())
    assert after is not None
    assert after.escalation is not None
    assert director in after.escalation.directors
    # Nothing was changed by the computation.
    assert referent.habilitations.get().ended_at is None


def test_last_unit_referent_falls_back_to_the_establishment(
    unit_referent, establishment_referent, cardiology
):
    after = services.referents_after_ending(unit_referent.habilitations.get())
    assert after is not None
    assert after.inherited
    assert [h.user for h in after.referents] == [establishment_referent]


def test_no_warning_when_another_referent_remains(make, hospital, establishment_referent, agent):
    make.referent(hospital)
    assert services.referents_after_ending(establishment_referent.habilitations.get()) is None
    assert services.referents_after_ending(agent.habilitations.get()) is None


# --- account_unblock


def block(user: User) -> None:
    user.blocked_at = timezone.now()
    user.blocked_reason = "5 échecs de connexion"
    user.failed_login_count = 5
    user.save()


def test_unblock_resets_audits_and_tells_the_person(
    establishment_referent, agent, django_capture_on_commit_callbacks
):
    block(agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_unblock(actor=establishment_referent, user=agent)
    agent.refresh_from_db()
    assert agent.blocked_at is None
    assert agent.blocked_reason == ""
    assert agent.failed_login_count == 0
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_UNBLOCKED)
    assert event.before["failed_login_count"] == 5
    assert event.after["failed_login_count"] == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [agent.email]
    assert "/mot-de-passe/nouveau/" in mail.outbox[0].body


def test_unblock_by_unit_referent_and_platform_admin(unit_referent, platform_admin, agent):
    block(agent)
    services.account_unblock(actor=unit_referent, user=agent)
    block(agent)
    services.account_unblock(actor=platform_admin, user=agent)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_UNBLOCKED).count() == 2


def test_unblock_outside_scope_is_refused(other_referent, director, agent):
    block(agent)
    for actor in (other_referent, director):
        with pytest.raises(services.NotAllowed):
            services.account_unblock(actor=actor, user=agent)
    agent.refresh_from_db()
    assert agent.is_blocked
