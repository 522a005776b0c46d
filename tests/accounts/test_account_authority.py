"""Attaching a right to an existing account gives no power over that account's state.

Any référent can type any existing e-mail into "create an account": the right is added to that
account. That must not let them unblock it (it was blocked elsewhere), or sign out a person
holding no other right by ending that right; platform administrators' accounts are never
touched by référents; and the person's e-mail names the référent who acted.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import User


def attach(actor: User, email: str, establishment, unit=None):
    """What "create an account" does with an address that already has one."""
    user, right, created = services.account_create(
        actor=actor,
        last_name="Ignoré",
        first_name="Ignoré",
        email=email,
        profile=services.Profile.objects.get(code="infirmier"),
        establishment=establishment,
        unit=unit,
    )
    assert not created
    return user, right


@pytest.fixture
def blocked_elsewhere(make, other_hospital):
    """Blocked after failed sign-ins; works in the other establishment only."""
    person = make.user(
        email="victime@example.test", blocked_at=timezone.now(), blocked_reason="5 échecs"
    )
    make.habilitation(person, other_hospital)
    User.objects.filter(pk=person.pk).update(last_login=timezone.now() - timezone.timedelta(1))
    person.refresh_from_db()
    return person


def test_attaching_a_right_does_not_allow_unblocking(
    establishment_referent, blocked_elsewhere, hospital
):
    user, _right = attach(establishment_referent, blocked_elsewhere.email, hospital)
    assert not services.holds_authority_over(actor=establishment_referent, user=user)
    with pytest.raises(ValidationError):
        services.account_unblock(actor=establishment_referent, user=user)
    user.refresh_from_db()
    assert user.is_blocked


def test_the_person_page_offers_no_unblock_button_and_says_why(
    client, establishment_referent, blocked_elsewhere, hospital
):
    attach(establishment_referent, blocked_elsewhere.email, hospital)
    client.force_login(establishment_referent)
    page = client.get(reverse("administration:person", args=[blocked_elsewhere.pk]))
    assert page.status_code == 200
    assert reverse("administration:person_unblock", args=[blocked_elsewhere.pk]) not in (
        page.content.decode()
    )
    assert not page.context["authority"]
    response = client.post(reverse("administration:person_unblock", args=[blocked_elsewhere.pk]))
    assert response.status_code == 302
    blocked_elsewhere.refresh_from_db()
    assert blocked_elsewhere.is_blocked


def test_another_referent_of_the_structure_may_unblock(
    establishment_referent, blocked_elsewhere, hospital, make
):
    attach(establishment_referent, blocked_elsewhere.email, hospital)
    colleague = make.referent(hospital, email="collegue@example.test")
    services.account_unblock(actor=colleague, user=blocked_elsewhere)
    blocked_elsewhere.refresh_from_db()
    assert not blocked_elsewhere.is_blocked


def test_the_referent_of_the_original_structure_may_unblock_and_is_named(
    other_referent, blocked_elsewhere, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.account_unblock(actor=other_referent, user=blocked_elsewhere)
    (message,) = mail.outbox
    assert other_referent.email in message.body
    assert other_referent.last_name.upper() in message.body


def test_after_the_person_signs_in_the_right_is_confirmed(
    establishment_referent, make, hospital, other_hospital
):
    person = make.user(email="nouvelle@example.test")
    make.habilitation(person, other_hospital)
    attach(establishment_referent, person.email, hospital)
    assert not services.holds_authority_over(actor=establishment_referent, user=person)
    User.objects.filter(pk=person.pk).update(last_login=timezone.now())
    person.refresh_from_db()
    assert services.holds_authority_over(actor=establishment_referent, user=person)


def test_an_account_the_referent_created_is_theirs(establishment_referent, hospital, make):
    user, _right, created = services.account_create(
        actor=establishment_referent,
        last_name="Neuf",
        first_name="Compte",
        email="neuf@example.test",
        profile=make.profile("infirmier"),
        establishment=hospital,
    )
    assert created
    assert services.holds_authority_over(actor=establishment_referent, user=user)


def test_ending_the_attached_right_signs_nobody_out(
    establishment_referent, hospital, make, django_capture_on_commit_callbacks
):
    """A person with no active right anywhere (say, all expired) keeps their sessions."""
    person = make.user(email="seule@example.test")
    elsewhere = Client()
    elsewhere.force_login(person)
    _user, right = attach(establishment_referent, person.email, hospital)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.habilitation_end(actor=establishment_referent, habilitation=right, reason="test")
    assert elsewhere.get(reverse("accounts:my_account")).status_code == 200
    # Told that the right ended, not that they were signed out.
    (message,) = mail.outbox
    assert message.subject == "ViaRéférents : un de vos droits a pris fin"


def test_ending_the_last_right_of_ones_own_person_signs_out_and_names_the_referent(
    establishment_referent, hospital, make, django_capture_on_commit_callbacks
):
    person = make.user(email="depart@example.test", password="secret-pass-123")
    right = make.habilitation(person, hospital)
    elsewhere = Client()
    elsewhere.force_login(person)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.habilitation_end(actor=establishment_referent, habilitation=right, reason="départ")
    assert elsewhere.get(reverse("accounts:my_account")).status_code == 302
    (message,) = mail.outbox
    assert message.to == [person.email]
    assert establishment_referent.email in message.body
    assert "départ" in message.body


@pytest.fixture
def support_admin(make):
    return make.user(email="support@example.test", is_staff=True, is_superuser=True)


def test_a_platform_administrators_account_cannot_be_attached(
    establishment_referent, support_admin, hospital
):
    with pytest.raises(ValidationError):
        attach(establishment_referent, support_admin.email, hospital)
    assert not support_admin.habilitations.exists()


def test_a_platform_administrator_is_never_signed_out_or_unblocked_by_a_referent(
    establishment_referent, support_admin, hospital, make
):
    # A right from before the rule (or granted by the support desk itself).
    right = make.habilitation(support_admin, hospital)
    elsewhere = Client()
    elsewhere.force_login(support_admin)
    assert not services.holds_authority_over(actor=establishment_referent, user=support_admin)
    services.habilitation_end(actor=establishment_referent, habilitation=right, reason="test")
    assert elsewhere.get(reverse("accounts:my_account")).status_code == 200
    User.objects.filter(pk=support_admin.pk).update(blocked_at=timezone.now(), blocked_reason="x")
    support_admin.refresh_from_db()
    with pytest.raises(ValidationError):
        services.account_unblock(actor=establishment_referent, user=support_admin)


def test_the_create_form_explains_a_platform_account(
    client, establishment_referent, support_admin, hospital, make
):
    client.force_login(establishment_referent)
    response = client.post(
        reverse("administration:person_create"),
        {
            "last_name": "X",
            "first_name": "Y",
            "email": support_admin.email,
            "profile": make.profile("infirmier").pk,
            "structure": f"e:{hospital.pk}",
            "start_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "platform administrator" in response.content.decode() or "administrateur" in (
        response.content.decode()
    )
