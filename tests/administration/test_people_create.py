"""Créer un compte: the person, their first right, and the activation link."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Habilitation, User
from accounts.scope import Scope
from administration.forms.people import structure_choices
from audit.models import AuditEvent
from tests.factory import days, today

URL = reverse("administration:person_create")


def form_data(structure: str, **fields) -> dict:
    data = {
        "last_name": "Leroy",
        "first_name": "Anne",
        "email": "anne.leroy@example.test",
        "phone": "05 61 00 00 00",
        "job_title": "IDE",
        "profile": "",
        "structure": structure,
        "start_date": today().isoformat(),
        "end_date": "",
    }
    data.update(fields)
    return data


@pytest.fixture
def nurse_pk(make) -> int:
    return make.profile("infirmier").pk


def post(client, data, capture):
    with capture(execute=True):
        return client.post(URL, data)


def test_get_shows_the_form_with_default_dates(client, establishment_referent, settings):
    client.force_login(establishment_referent)
    response = client.get(URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["start_date"].value() == today()
    assert form["end_date"].value() == today() + days(settings.HABILITATION_DEFAULT_DAYS)
    assert not User.objects.filter(email="anne.leroy@example.test").exists()


def test_structure_choices_follow_the_scope(
    establishment_referent, unit_referent, hospital, cardiology, geriatrics
):
    choices = dict(structure_choices(Scope.for_user(establishment_referent)))
    assert choices[f"e:{hospital.pk}"] == hospital.name
    assert choices[f"u:{cardiology.pk}"] == f"Cardiologie – {hospital.name}"
    assert f"u:{geriatrics.pk}" in choices
    assert dict(structure_choices(Scope.for_user(unit_referent))) == {
        f"u:{cardiology.pk}": f"Cardiologie – {hospital.name}"
    }


def test_create_then_activate_with_the_link_once(
    client, establishment_referent, cardiology, nurse_pk, django_capture_on_commit_callbacks
):
    client.force_login(establishment_referent)
    data = form_data(f"u:{cardiology.pk}", profile=nurse_pk, email="Anne.Leroy@Example.test")
    response = post(client, data, django_capture_on_commit_callbacks)
    user = User.objects.get(email="anne.leroy@example.test")
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:person", args=[user.pk])
    habilitation = user.habilitations.get()
    assert habilitation.unit == cardiology
    assert habilitation.end_date == today() + days(365)
    assert not user.has_usable_password()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_CREATED).count() == 1

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    link = re.search(r"https?://[^/\s]+(/mot-de-passe/nouveau/\S+/)", message.body).group(1)
    assert link in message.alternatives[0][0]

    client.logout()
    response = client.get(link)  # Django swaps the token for a session one and redirects.
    assert response.status_code == 302
    form_url = response["Location"]
    password = "un-mot-de-passe-assez-long-2026"
    response = client.post(form_url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    assert client.login(username="ANNE.LEROY@example.test", password=password)
    client.logout()
    # Single use: the password changed, so the token no longer validates.
    response = client.get(link, follow=True)
    assert not response.context["validlink"]


def test_existing_address_adds_the_right(
    client,
    establishment_referent,
    agent,
    hospital,
    make,
    django_capture_on_commit_callbacks,
):
    agent.set_password("known-password-123")
    agent.save()
    client.force_login(establishment_referent)
    doctor = make.profile("medecin").pk
    data = form_data(f"e:{hospital.pk}", profile=doctor, email="AGENT@example.test")
    response = post(client, data, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert User.objects.filter(email="agent@example.test").count() == 1
    assert agent.habilitations.count() == 2
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("agent@example.test" in m for m in messages)
    assert len(mail.outbox) == 1
    assert "/mot-de-passe/nouveau/" not in mail.outbox[0].body


def test_unit_referent_cannot_pick_another_structure(
    client, unit_referent, geriatrics, hospital, nurse_pk
):
    client.force_login(unit_referent)
    for structure in (f"u:{geriatrics.pk}", f"e:{hospital.pk}", "e:999999", "x:1", "u:abc"):
        response = client.post(URL, form_data(structure, profile=nurse_pk))
        assert response.status_code == 200
        assert response.context["form"].errors
    assert not User.objects.filter(email="anne.leroy@example.test").exists()


def test_invalid_input_shows_errors(client, establishment_referent, hospital, nurse_pk):
    client.force_login(establishment_referent)
    response = client.post(
        URL,
        form_data(
            f"e:{hospital.pk}",
            profile=nurse_pk,
            email="not-an-address",
            start_date=today().isoformat(),
            end_date=(today() - days(1)).isoformat(),
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "email" in errors
    assert "end_date" in errors
    assert not Habilitation.objects.filter(user__email="not-an-address").exists()


def test_not_a_referent_gets_404(client, agent, director):
    for person in (agent, director):
        client.force_login(person)
        assert client.get(URL).status_code == 404
        assert client.post(URL, {}).status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.post(URL, {})
    assert response.status_code == 302
    assert reverse("accounts:sign_in") in response["Location"]


def test_a_platform_admin_names_the_establishment_by_its_finess_number(
    client, platform_admin, hospital, other_hospital, nurse_pk, django_capture_on_commit_callbacks
):
    client.force_login(platform_admin)
    page = client.get(URL).content.decode()
    # No list of every structure of the country: a FINESS number field instead.
    assert other_hospital.name not in page
    assert 'name="structure" maxlength="20"' in page
    response = post(
        client,
        form_data(f" {hospital.finess.lower()} ", profile=nurse_pk),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    habilitation = Habilitation.objects.get(user__email="anne.leroy@example.test")
    assert (habilitation.establishment, habilitation.unit) == (hospital, None)


@pytest.mark.parametrize("number", ["310000000", "not a number", "e:1"])
def test_an_unknown_finess_number_is_a_clear_error(client, platform_admin, nurse_pk, number):
    client.force_login(platform_admin)
    response = client.post(URL, form_data(number, profile=nurse_pk))
    assert response.status_code == 200
    assert response.context["form"].has_error("structure")
    assert not User.objects.filter(email="anne.leroy@example.test").exists()
