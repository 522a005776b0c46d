"""Lost phone: a référent of the person's structures (or the support desk) resets their second
factor; nobody resets their own; platform administrators' by platform administrators only."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from audit.models import AuditEvent
from mfa.models import Factor, RecoveryCode, SecondFactorState
from mfa.services import recovery_codes_generate
from tests.mfa.conftest import PASSWORD, add_totp, code_now, give_code, sign_in


def url(person) -> str:
    return f"/administration/comptes/{person.pk}/second-facteur/reinitialiser/"


@pytest.fixture
def nurse(make, geriatrics):
    user = make.user(email="nurse@example.test", password=PASSWORD, language="en")
    make.habilitation(user, geriatrics, profile="infirmier")
    add_totp(user)
    recovery_codes_generate(user=user, request=None)
    return user


def test_a_referent_resets_a_persons_factor(
    client, establishment_referent, nurse, django_capture_on_commit_callbacks
):
    nurse_client = Client()
    nurse_client.force_login(nurse)
    client.force_login(establishment_referent)
    page = client.get(url(nurse))
    assert page.status_code == 200
    assert "Téléphone" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(nurse))
    assert response["Location"] == f"/administration/comptes/{nurse.pk}/"
    assert not Factor.objects.filter(user=nurse).exists()
    assert not RecoveryCode.objects.filter(user=nurse).exists()
    assert SecondFactorState.objects.get(user=nurse).enrolment_required
    event = AuditEvent.objects.get(action=AuditEvent.Action.MFA_RESET)
    assert event.actor == establishment_referent
    assert event.target_user == nurse
    assert event.before == {"factors": [{"name": "Téléphone", "kind": "totp"}], "unused_codes": 10}
    [message] = mail.outbox
    assert message.to == [nurse.email]
    assert "second factor" in message.subject  # in the person's language
    assert establishment_referent.email in message.body
    # Signed out everywhere.
    assert nurse_client.get("/mon-compte/")["Location"].startswith("/connexion/")


def test_enrolment_is_asked_at_the_next_sign_in(client, settings, establishment_referent, nurse):
    referent_client = Client()
    referent_client.force_login(establishment_referent)
    referent_client.post(url(nurse))
    settings.MFA_REQUIRED = "administrators"  # a nurse would not have to, but was reset
    sign_in(client, nurse.email)
    assert client.get("/mon-compte/")["Location"].startswith("/second-facteur/ajouter/")


def test_out_of_scope_is_404(client, other_referent, agent, nurse):
    for actor in (other_referent, agent):
        client.force_login(actor)
        assert client.get(url(nurse)).status_code == 404
        assert client.post(url(nurse)).status_code == 404
    assert Factor.objects.filter(user=nurse).exists()


def test_nobody_resets_their_own(client, establishment_referent):
    add_totp(establishment_referent)
    client.force_login(establishment_referent)
    assert client.get(url(establishment_referent)).status_code == 200
    client.post(url(establishment_referent))
    assert Factor.objects.filter(user=establishment_referent).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MFA_RESET).exists()


def test_platform_admins_factors_are_reset_by_platform_admins_only(
    client, make, hospital, establishment_referent, platform_admin
):
    support = make.user(email="support@example.test", is_staff=True, is_superuser=True)
    make.habilitation(support, hospital, profile="infirmier")
    add_totp(support)
    client.force_login(establishment_referent)
    client.post(url(support))
    assert Factor.objects.filter(user=support).exists()
    client.force_login(platform_admin)
    client.post(url(support))
    assert not Factor.objects.filter(user=support).exists()


def test_a_right_added_to_an_existing_account_gives_no_power(client, make, other_referent):
    """Any référent may attach a right to any address: that alone does not let them reset."""
    person = make.user(email="someone@example.test")
    add_totp(person)
    other_hospital = other_referent.habilitations.get().establishment
    make.habilitation(person, other_hospital, profile="infirmier", granted_by=other_referent)
    client.force_login(other_referent)
    client.post(url(person))
    assert Factor.objects.filter(user=person).exists()


def test_the_referents_session_must_have_passed_its_factor(client, settings, make, hospital):
    settings.MFA_REQUIRED = "administrators"
    referent = make.referent(hospital, email="r2@example.test", password=PASSWORD)
    add_totp(referent)
    nurse = make.user(email="n2@example.test")
    make.habilitation(nurse, hospital, profile="infirmier")
    add_totp(nurse)
    sign_in(client, referent.email)
    response = client.post(url(nurse))
    assert response["Location"].startswith("/second-facteur/")
    assert Factor.objects.filter(user=nurse).exists()
    give_code(client, code_now())
    client.post(url(nurse))
    assert not Factor.objects.filter(user=nurse).exists()
