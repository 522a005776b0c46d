"""Départ: every open right of the person in my structures ends with one reason; rights
elsewhere stay; with no right left anywhere the account is deactivated and signed out."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import people, services
from accounts.models import Habilitation, User
from audit.models import AuditEvent
from tests.accounts.test_account_authority import attach
from tests.factory import days, today


def url(user: User) -> str:
    return reverse("administration:person_depart", args=[user.pk])


@pytest.fixture
def leaver(make, hospital, cardiology, geriatrics):
    """Two open rights in the hospital (one future), an expired one, an ended one."""
    person = make.user(email="leaver@example.test", last_name="Départ", first_name="Jeanne")
    make.habilitation(person, cardiology, profile="infirmier")
    make.habilitation(person, hospital, profile="medecin", start=today() + days(10))
    make.habilitation(person, geriatrics, start=today() - days(400), end=today() - days(5))
    make.habilitation(
        person, geriatrics, profile="medecin", ended_at=timezone.now(), end_reason="avant"
    )
    return person


def signed_in_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(reverse("accounts:my_account")).status_code in (200, 302)
    return client


def still_signed_in(client: Client) -> bool:
    response = client.get(reverse("accounts:my_account"))
    return not (response.status_code == 302 and "/connexion/" in response["Location"])


def test_the_confirmation_lists_what_ends_and_what_stays(
    client, establishment_referent, leaver, make, other_hospital
):
    make.habilitation(leaver, other_hospital, profile="secretaire-medicale")
    client.force_login(establishment_referent)
    response = client.get(url(leaver))
    assert response.status_code == 200
    departure = response.context["departure"]
    assert {right.profile.code for right in departure.ending} == {"infirmier", "medecin"}
    assert len(departure.ending) == 2
    assert departure.staying == 1
    assert not departure.deactivates
    page = response.content.decode()
    assert "Cardiologie" in page
    # Rights elsewhere are counted, never named.
    assert "CLINIQUE DES PINS" not in page
    assert "Secrétaire" not in page
    assert not Habilitation.objects.filter(user=leaver, ended_at__gte=timezone.now()).exists()


def test_departure_ends_the_rights_in_scope_and_leaves_the_others(
    client, establishment_referent, leaver, make, other_hospital, django_capture_on_commit_callbacks
):
    elsewhere = make.habilitation(leaver, other_hospital, profile="secretaire-medicale")
    session = signed_in_client(leaver)
    client.force_login(establishment_referent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(leaver), {"reason": "  Fin de   contrat "})
    assert response.status_code == 302
    ended = Habilitation.objects.filter(user=leaver, end_reason="Fin de contrat")
    assert ended.count() == 2
    assert all(right.ended_by == establishment_referent for right in ended)
    elsewhere.refresh_from_db()
    assert elsewhere.ended_at is None
    leaver.refresh_from_db()
    assert leaver.is_active
    assert still_signed_in(session)
    # Each right through habilitation_end (its audit event), and the departure itself.
    assert AuditEvent.objects.filter(action=AuditEvent.Action.HABILITATION_ENDED).count() == 2
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_DEPARTED)
    assert event.actor == establishment_referent
    assert event.before == {"is_active": True}
    assert event.after == {"is_active": True, "end_reason": "Fin de contrat", "rights_ended": 2}
    # One e-mail for all the rights, not one per right.
    (message,) = mail.outbox
    assert message.to == [leaver.email]
    assert message.body.count("Cardiologie") == 1
    assert "Fin de contrat" in message.body
    assert establishment_referent.email in message.body


def test_with_no_right_left_the_account_is_deactivated_and_signed_out(
    client, establishment_referent, leaver, django_capture_on_commit_callbacks
):
    leaver.set_password("a-long-password-2026")
    leaver.save()
    session = signed_in_client(leaver)
    client.force_login(establishment_referent)
    assert client.get(url(leaver)).context["departure"].deactivates
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(leaver), {"reason": "Mutation"})
    assert response.status_code == 302
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert not Habilitation.objects.open_on().filter(user=leaver).exists()
    assert not still_signed_in(session)
    assert not Client().login(username=leaver.email, password="a-long-password-2026")
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_DEPARTED)
    assert (event.before, event.after["is_active"]) == ({"is_active": True}, False)
    (message,) = mail.outbox
    assert "2" in message.body  # "these 2 rights have ended"
    page = client.get(reverse("administration:person", args=[leaver.pk]))
    assert page.context["departure_offered"] is False


def test_a_future_right_elsewhere_keeps_the_account(
    client, establishment_referent, leaver, make, other_hospital
):
    make.habilitation(leaver, other_hospital, start=today() + days(30))
    client.force_login(establishment_referent)
    client.post(url(leaver), {"reason": "Mutation"})
    leaver.refresh_from_db()
    assert leaver.is_active


def test_a_unit_referent_ends_their_unit_s_rights_only(client, unit_referent, leaver):
    client.force_login(unit_referent)
    response = client.get(url(leaver))
    assert [right.unit.name for right in response.context["departure"].ending] == ["Cardiologie"]
    assert response.context["departure"].staying == 1
    client.post(url(leaver), {"reason": "Fin de stage"})
    assert Habilitation.objects.open_on().filter(user=leaver).count() == 1
    leaver.refresh_from_db()
    assert leaver.is_active


def test_without_authority_the_rights_end_but_the_account_stays(
    client, establishment_referent, make, hospital
):
    person = make.user(email="ailleurs@example.test")
    attached, _right = attach(establishment_referent, person.email, hospital)
    client.force_login(establishment_referent)
    departure = client.get(url(attached)).context["departure"]
    assert not departure.authority
    assert not departure.deactivates
    client.post(url(attached), {"reason": "Erreur"})
    attached.refresh_from_db()
    assert attached.is_active
    assert not Habilitation.objects.open_on().filter(user=attached).exists()


def test_a_reason_is_required(client, establishment_referent, leaver):
    client.force_login(establishment_referent)
    response = client.post(url(leaver), {"reason": "   "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert Habilitation.objects.open_on().filter(user=leaver).count() == 2


def test_nothing_open_in_scope_is_refused(client, establishment_referent, make, hospital):
    person = make.user()
    make.habilitation(person, hospital, start=today() - days(400), end=today() - days(1))
    client.force_login(establishment_referent)
    response = client.post(url(person), {"reason": "Parti"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("who", ["other_referent", "director", "agent"])
def test_out_of_scope_is_404(client, request, leaver, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(leaver)).status_code == 404
    assert client.post(url(leaver), {"reason": "Parti"}).status_code == 404
    assert Habilitation.objects.open_on().filter(user=leaver).count() == 2


def test_own_and_platform_accounts_are_refused(client, establishment_referent, make, hospital):
    support = make.user(email="support@example.test", is_superuser=True, is_staff=True)
    make.habilitation(support, hospital)
    for person in (establishment_referent, support):
        with pytest.raises(ValidationError):
            people.account_depart(actor=establishment_referent, user=person, reason="Parti")
    client.force_login(establishment_referent)
    response = client.post(url(establishment_referent), {"reason": "Parti"})
    assert response.status_code == 200
    assert Habilitation.objects.open_on().filter(user=establishment_referent).exists()
    assert support.habilitations.get().ended_at is None


def test_a_platform_administrator_records_a_departure(
    client, platform_admin, leaver, make, other_hospital
):
    make.habilitation(leaver, other_hospital)
    client.force_login(platform_admin)
    departure = client.get(url(leaver)).context["departure"]
    assert len(departure.ending) == 3
    assert departure.staying == 0
    client.post(url(leaver), {"reason": "Décès"})
    leaver.refresh_from_db()
    assert not leaver.is_active


def test_a_new_right_reopens_a_deactivated_account(
    client, establishment_referent, leaver, cardiology, django_capture_on_commit_callbacks
):
    client.force_login(establishment_referent)
    client.post(url(leaver), {"reason": "Fin de stage"})
    leaver.refresh_from_db()
    assert not leaver.is_active
    services.habilitation_grant(
        actor=establishment_referent,
        user=leaver,
        profile=services.Profile.objects.get(code="infirmier"),
        establishment=cardiology.establishment,
        unit=cardiology,
    )
    leaver.refresh_from_db()
    assert leaver.is_active
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_REACTIVATED)
    assert (event.before, event.after) == ({"is_active": False}, {"is_active": True})


def test_the_person_page_offers_the_departure(client, establishment_referent, leaver, agent):
    client.force_login(establishment_referent)
    page = client.get(reverse("administration:person", args=[leaver.pk]))
    assert url(leaver).encode() in page.content
    own = client.get(reverse("administration:person", args=[establishment_referent.pk]))
    assert url(establishment_referent).encode() not in own.content
