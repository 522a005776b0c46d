"""The gate: after the password, nothing but the second factor (MFA_REQUIRED set here)."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from accounts.models import Charter
from audit.models import AuditEvent
from mfa.models import Factor
from tests.mfa.conftest import PASSWORD, add_totp, code_now, give_code, sign_in

ADMIN_PAGES = ["/administration/comptes/", "/administration/journal/", "/mon-compte/"]


@pytest.fixture
def enrolled(referent):
    add_totp(referent)
    return referent


def test_with_a_factor_every_page_waits_for_it(client, required, enrolled):
    response = sign_in(client, enrolled.email)
    assert response.status_code == 302
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/second-facteur/?next="), path
    # POSTs too (without "next").
    response = client.post("/administration/comptes/", {})
    assert response["Location"] == "/second-facteur/"
    assert client.get("/second-facteur/").status_code == 200


def test_the_django_admin_is_behind_the_same_gate(client, required, make):
    admin = make.user(email="root@example.test", password=PASSWORD, is_staff=True)
    admin.is_superuser = True
    admin.save()
    add_totp(admin)
    sign_in(client, admin.email)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/second-facteur/")
    assert client.get("/admin/accounts/user/").status_code == 302
    give_code(client, code_now())
    assert client.get("/admin/").status_code == 200


def test_the_code_opens_the_pages_and_cycles_the_session_key(client, required, enrolled):
    sign_in(client, enrolled.email)
    key_before = client.session.session_key
    response = give_code(client, code_now(), next_url="/administration/comptes/")
    assert response.status_code == 302
    assert response["Location"] == "/administration/comptes/"
    assert client.session.session_key != key_before
    assert client.session[SESSION_KEY] == str(enrolled.pk)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 200, path
    event = AuditEvent.objects.filter(action=AuditEvent.Action.MFA_VERIFIED).get()
    assert event.actor == enrolled
    assert event.after == {"method": "totp", "factor": "Téléphone"}


def test_a_new_sign_in_asks_again(client, required, enrolled):
    sign_in(client, enrolled.email)
    give_code(client, code_now())
    client.post("/deconnexion/")
    sign_in(client, enrolled.email)
    assert client.get("/mon-compte/").status_code == 302


def test_a_referent_without_a_factor_is_taken_to_enrolment(client, required, referent):
    sign_in(client, referent.email)
    response = client.get("/administration/comptes/")
    assert response["Location"].startswith("/second-facteur/ajouter/?next=")
    assert client.get("/referents/").status_code == 302
    assert client.get("/second-facteur/ajouter/").status_code == 200


def test_enrolling_during_the_session_does_not_open_the_pages(client, required, referent):
    """A session that did not pass the second factor never reaches an administration page,
    even once the person enrolled one: the new factor must be given, like at any sign-in."""
    sign_in(client, referent.email)
    page = client.get("/second-facteur/ajouter/application/").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)[1].replace(" ", "")
    response = client.post(
        "/second-facteur/ajouter/application/",
        {"name": "Mon téléphone", "code": code_now(secret)},
    )
    assert response.status_code == 302
    assert Factor.objects.filter(user=referent).count() == 1
    # The recovery codes are shown, then the factor is asked.
    assert response["Location"].startswith("/second-facteur/codes-de-secours/")
    assert client.get(response["Location"]).status_code == 200
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 302, path
    # The enrolment's code is used: the same one is refused.
    response = give_code(client, code_now(secret))
    assert response.status_code == 200
    assert client.get("/administration/comptes/").status_code == 302
    response = give_code(client, code_now(secret, offset_steps=1))
    assert response.status_code == 302
    assert client.get("/administration/comptes/").status_code == 200


def test_an_old_session_types_its_password_before_a_first_factor(
    client, required, referent, settings
):
    settings.MFA_RECENT_MINUTES = 1
    sign_in(client, referent.email)
    with _later(61):
        response = client.get("/second-facteur/ajouter/")
        assert response["Location"].startswith("/second-facteur/mot-de-passe/?next=")
        response = client.post("/second-facteur/mot-de-passe/", {"password": "wrong"})
        assert response.status_code == 200
        referent.refresh_from_db()
        assert referent.failed_login_count == 1
        response = client.post("/second-facteur/mot-de-passe/", {"password": PASSWORD})
        assert response["Location"] == "/second-facteur/ajouter/"
        assert client.get("/second-facteur/ajouter/").status_code == 200


def _later(seconds: int):
    return time_machine.travel(timezone.now() + datetime.timedelta(seconds=seconds))


def test_an_agent_without_a_factor_passes_under_administrators(client, required, agent):
    agent.set_password(PASSWORD)
    agent.save()
    sign_in(client, agent.email)
    assert client.get("/mon-compte/").status_code == 200
    assert client.get("/referents/").status_code == 200


def test_a_right_granted_during_the_session_counts_at_once(client, required, agent, make, hospital):
    agent.set_password(PASSWORD)
    agent.save()
    sign_in(client, agent.email)
    assert client.get("/mon-compte/").status_code == 200
    make.habilitation(agent, hospital, profile="referent")
    response = client.get("/administration/comptes/")
    assert response["Location"].startswith("/second-facteur/ajouter/")


def test_everyone_must_enrol_under_everyone(client, everyone, agent):
    agent.set_password(PASSWORD)
    agent.save()
    sign_in(client, agent.email)
    assert client.get("/mon-compte/").status_code == 302


def test_the_factor_comes_before_the_charter(client, required, enrolled):
    Charter.objects.create(version=1, title="Charte", body="…")
    sign_in(client, enrolled.email)
    response = client.get("/referents/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/second-facteur/")
    response = give_code(client, code_now(), next_url="/referents/")
    assert client.get(response["Location"])["Location"].startswith("/charte/")


def test_off_asks_nothing(client, settings, enrolled):
    settings.MFA_REQUIRED = "none"
    sign_in(client, enrolled.email)
    assert client.get("/administration/comptes/").status_code == 200


def test_public_pages_sign_out_and_the_language_stay_open(client, required, enrolled):
    sign_in(client, enrolled.email)
    assert client.get("/healthz").status_code == 200
    assert client.get("/connexion/compte-bloque/").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "en"}).status_code == 302
    client.post("/deconnexion/")
    assert SESSION_KEY not in client.session


def test_mark_verified_is_the_hook_for_strong_providers(rf, required, enrolled):
    """What oidc/ calls after ``login`` for a provider marked strong."""
    from django.contrib.sessions.backends.db import SessionStore

    from mfa import session

    request = rf.get("/")
    request.session = SessionStore()
    request.user = enrolled
    session.start(None, request=request, user=enrolled)
    assert not session.is_verified(request)
    session.mark_verified(request, method="oidc:psc")
    assert session.is_verified(request)
    assert session.method(request) == "oidc:psc"


def test_a_client_without_a_session_is_unaffected(required):
    assert Client().get("/administration/comptes/").status_code == 302


def test_with_production_settings_only_the_sign_in_step_answers(client, everyone, referent):
    """Signed in with the password only: every page of the project but the public ones and the
    sign-in step sends to the second factor."""
    from django.urls import NoReverseMatch, reverse

    from mfa.middleware import SIGN_IN_STEP_VIEWS
    from tests.test_public_pages import PUBLIC, views

    add_totp(referent, name="App")
    sign_in(client, referent.email)
    for name in views():
        if name in PUBLIC or name in SIGN_IN_STEP_VIEWS:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:  # a path with arguments: the gate does not read them
            continue
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/second-facteur/"), name
