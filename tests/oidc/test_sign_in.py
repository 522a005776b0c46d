"""Signing in with Pro Santé Connect, against the local provider (real HTTP, real signatures).

Every case goes the whole way: the start view, the provider's authorization endpoint, the
callback, which calls the provider's token endpoint, keys and UserInfo.
"""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from accounts.models import Charter
from audit.models import AuditEvent
from mfa.models import Factor
from oidc.models import LinkedIdentity
from tests.oidc.conftest import psc_sign_in, through_provider
from tests.oidc.provider import CLIENT_ID, SigningKey, psc_person

START = reverse("oidc:sign_in", args=["psc"])


@pytest.fixture
def linked(agent, psc):
    LinkedIdentity.objects.create(
        user=agent, provider="psc", subject=psc.person["sub"], how=LinkedIdentity.How.BY_PERSON
    )
    return agent


def signed_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


# --- Success


def test_a_linked_identity_signs_in_to_its_account(client, linked, psc, settings):
    settings.MFA_REQUIRED = "everyone"
    Factor.objects.create(user=linked, kind="totp", name="Téléphone", totp_secret="JBSWY3DP")
    response = psc_sign_in(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("referents:mine")
    assert signed_in_as(client) == linked.pk
    assert client.get(reverse("referents:mine")).status_code == 200
    # A strong provider: no second factor is asked after it.
    assert client.session["mfa"]["method"] == "oidc:psc"
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SIGNIN_SUCCEEDED).get()
    assert event.target_user == linked
    assert LinkedIdentity.objects.get(user=linked).last_used_at is not None


def test_the_request_carries_pkce_state_nonce_scope_and_acr(client, linked, psc):
    psc_sign_in(client)
    asked = psc.authorize_requests[0]
    assert asked["scope"] == "openid scope_all"
    assert asked["acr_values"] == "eidas1"
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["state"]) >= 32
    assert len(asked["nonce"]) >= 32
    assert asked["redirect_uri"] == "http://testserver/connexion/oidc/psc/retour/"
    token_call = psc.token_requests[0]
    assert token_call["basic"]
    assert "client_secret" not in token_call["form"]
    assert token_call["form"]["code_verifier"]


def test_a_provider_not_marked_strong_leaves_the_second_factor_to_ask(
    client, linked, psc, settings
):
    settings.MFA_REQUIRED = "everyone"
    settings.OIDC_PROVIDERS = {"psc": psc.settings(strong=False)}
    Factor.objects.create(user=linked, kind="totp", name="Téléphone", totp_secret="JBSWY3DP")
    psc_sign_in(client)
    assert signed_in_as(client) == linked.pk
    response = client.get(reverse("referents:mine"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa:verify"))


def test_the_client_secret_may_be_posted(client, linked, psc, settings):
    settings.OIDC_PROVIDERS = {"psc": psc.settings(token_auth="client_secret_post")}
    assert psc_sign_in(client).status_code == 302
    token_call = psc.token_requests[0]
    assert not token_call["basic"]
    assert token_call["form"]["client_id"] == CLIENT_ID
    assert signed_in_as(client) == linked.pk


def test_a_signed_userinfo_is_accepted(client, make, psc):
    # The RPPS number comes only from the signed UserInfo here.
    psc.userinfo_as_jwt = True
    user = make.user(national_id="10101010101")
    assert psc_sign_in(client).status_code == 302
    assert signed_in_as(client) == user.pk


def test_the_next_page_is_kept_and_only_ours(client, linked, psc):
    assert psc_sign_in(client, "/mon-compte/")["Location"] == "/mon-compte/"
    client.logout()
    assert psc_sign_in(client, "https://evil.example/")["Location"] == reverse("referents:mine")


def test_new_signing_keys_are_fetched_when_the_provider_rotates(client, linked, psc):
    assert psc_sign_in(client).status_code == 302
    client.logout()
    psc.rotate_keys()  # the application still holds the old keys in its cache
    assert psc_sign_in(client).status_code == 302
    assert signed_in_as(client) == linked.pk


def test_the_charter_is_asked_after_a_provider_sign_in(client, linked, psc):
    Charter.objects.create(version=1, title="Charte", body="…")
    psc_sign_in(client)
    response = client.get(reverse("referents:mine"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:charter_accept"))


# --- Linking by the national identifier a référent recorded


def test_the_first_sign_in_links_the_account_of_the_recorded_rpps(client, make, psc):
    user = make.user(national_id="10101010101")
    response = psc_sign_in(client)
    assert response.status_code == 302
    assert signed_in_as(client) == user.pk
    identity = LinkedIdentity.objects.get(user=user)
    assert identity.how == LinkedIdentity.How.BY_NATIONAL_ID
    assert identity.subject == psc.person["sub"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.IDENTITY_LINKED)
    assert event.target_user == user
    assert event.after == {"provider": "psc", "subject": psc.person["sub"], "how": "national_id"}
    # The next sign-in goes through the link.
    client.logout()
    type(user).objects.filter(pk=user.pk).update(national_id="")
    assert psc_sign_in(client).status_code == 302
    assert signed_in_as(client) == user.pk


def test_an_adeli_number_links_too(client, make, psc):
    psc.person = {**psc_person(), "SubjectNameID": "0123456789", "preferred_username": "x"}
    user = make.user(national_id="123456789")
    psc_sign_in(client)
    assert signed_in_as(client) == user.pk


def test_a_closed_account_is_not_linked_by_its_number(client, make, psc):
    make.user(national_id="10101010101", is_active=False)
    response = psc_sign_in(client)
    assert response.status_code == 403
    assert signed_in_as(client) is None
    assert not LinkedIdentity.objects.exists()


# --- No account yet


def test_an_unlinked_identity_is_shown_the_referents_of_its_establishments(
    client, psc, hospital, establishment_referent
):
    psc.person = psc_person(finess_sites=(hospital.finess,), finess_legal=("",))
    response = psc_sign_in(client)
    assert response.status_code == 403
    assert signed_in_as(client) is None
    page = response.content.decode()
    assert establishment_referent.email in page
    assert hospital.name in page
    assert "10101010101" in page  # the number to give the référent
    event = AuditEvent.objects.get(action=AuditEvent.Action.SIGNIN_FAILED)
    assert event.after == {"account_exists": False, "provider": "psc", "refused": "no_account"}


def test_the_legal_entity_names_its_establishments(client, psc, make, establishment_referent):
    entity = make.legal_entity()
    hospital = establishment_referent.habilitations.get().establishment
    hospital.legal_entity = entity
    hospital.save()
    psc.person = psc_person(finess_sites=("",), finess_legal=(entity.finess,))
    response = psc_sign_in(client)
    assert establishment_referent.email in response.content.decode()


def test_an_establishment_without_referent_gives_the_escalation(client, psc, hospital, director):
    psc.person = psc_person(finess_sites=(hospital.finess,), finess_legal=("",))
    response = psc_sign_in(client)
    page = response.content.decode()
    assert director.email in page
    assert response.context["lookups"][0].escalation is not None


def test_unknown_establishments_give_the_support_desk(client, psc, settings):
    psc.person = psc_person(finess_sites=("750000001",), finess_legal=("",))
    response = psc_sign_in(client)
    assert response.status_code == 403
    assert response.context["lookups"] == []
    assert settings.SUPPORT_EMAIL in response.content.decode()


# --- Refused answers: never signed in, a clear page


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param({"acr": "eidas0"}, id="acr-too-low"),
        pytest.param({"acr": None}, id="acr-missing"),
        pytest.param({"audience": "another-client"}, id="wrong-audience"),
        pytest.param({"audience": [CLIENT_ID, "another-client"]}, id="audiences-without-azp"),
        pytest.param({"expires_in": -240}, id="expired"),
        pytest.param({"tamper": True}, id="tampered"),
        pytest.param({"issuer_override": "https://evil.example"}, id="wrong-issuer"),
    ],
)
def test_a_refused_id_token_signs_nobody_in(client, linked, psc, shape):
    for name, value in shape.items():
        setattr(psc, name, value)
    response = psc_sign_in(client)
    assert response.status_code == 400
    assert signed_in_as(client) is None
    assert b"Pro Sant\xc3\xa9 Connect" in response.content
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SIGNIN_SUCCEEDED).exists()


def test_a_token_signed_by_another_key_of_the_same_id_is_refused(client, linked, psc, monkeypatch):
    impostor = SigningKey("key-1")  # the published key id, another key
    monkeypatch.setattr(psc, "jwks", lambda: {"keys": [impostor.jwk()]})
    assert psc_sign_in(client).status_code == 400
    assert signed_in_as(client) is None


def test_a_replayed_state_is_refused(client, linked, psc):
    callback, response = through_provider(client, START)
    assert response.status_code == 302
    client.logout()
    replay = client.get(callback)
    assert replay.status_code == 400
    assert signed_in_as(client) is None


def test_a_callback_from_another_session_is_refused(client, linked, psc, django_user_model):
    from django.test import Client

    start = client.get(START)
    at_provider = httpx.get(start["Location"], follow_redirects=False)
    back = urlsplit(at_provider.headers["Location"])
    stranger = Client()
    response = stranger.get(f"{back.path}?{back.query}")
    assert response.status_code == 400
    assert SESSION_KEY not in stranger.session


def test_an_expired_state_is_refused(client, linked, psc, settings):
    settings.OIDC_FLOW_MAX_SECONDS = -1
    assert psc_sign_in(client).status_code == 400


def test_a_cancelled_sign_in_says_so(client, linked, psc):
    start = client.get(START)
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(
        reverse("oidc:callback", args=["psc"]), {"error": "access_denied", "state": state}
    )
    assert response.status_code == 400
    assert signed_in_as(client) is None


# --- The provider unavailable: a clear page, never a 500


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_discovery_document_gives_a_clear_page(client, db, settings, caplog):
    settings.OIDC_PROVIDERS = {
        "psc": {
            "label": "Pro Santé Connect",
            "discovery_url": f"http://127.0.0.1:{_closed_port()}/.well-known/openid-configuration",
            "client_id": CLIENT_ID,
            "client_secret": "x",
        }
    }
    response = client.get(START)
    assert response.status_code == 503
    assert "Pro Santé Connect" in response.content.decode()
    assert any("failed" in record.getMessage() for record in caplog.records)


def test_a_token_endpoint_error_gives_a_clear_page(client, linked, psc):
    psc.token_error_status = 500
    response = psc_sign_in(client)
    assert response.status_code == 503
    assert signed_in_as(client) is None


def test_a_provider_gone_during_the_sign_in_gives_a_clear_page(client, linked, psc):
    start = client.get(START)
    at_provider = httpx.get(start["Location"], follow_redirects=False)
    psc.stop()
    back = urlsplit(at_provider.headers["Location"])
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 503


def test_a_wrong_client_secret_gives_a_clear_page(client, linked, psc, settings):
    settings.OIDC_PROVIDERS = {"psc": psc.settings(client_secret="wrong")}
    response = psc_sign_in(client)
    assert response.status_code == 503
    assert signed_in_as(client) is None


# --- Accounts that may not sign in, whatever the provider


def test_a_blocked_account_stays_blocked(client, linked, psc, establishment_referent):
    type(linked).objects.filter(pk=linked.pk).update(
        blocked_at=timezone.now(), blocked_reason="5 échecs"
    )
    response = psc_sign_in(client)
    assert response.status_code == 200
    assert signed_in_as(client) is None
    page = response.content.decode()
    assert response.context["blocked"]["lookups"]
    assert establishment_referent.email in page
    event = AuditEvent.objects.get(action=AuditEvent.Action.SIGNIN_FAILED)
    assert event.after == {"account_exists": True, "blocked": True}


def test_a_closed_account_is_refused(client, linked, psc):
    type(linked).objects.filter(pk=linked.pk).update(is_active=False)
    response = psc_sign_in(client)
    assert response.status_code == 403
    assert signed_in_as(client) is None


# --- Without a provider configured, nothing changes


def test_without_a_provider_the_sign_in_page_has_no_button(client, db, settings):
    settings.OIDC_PROVIDERS = {}
    page = client.get(reverse("accounts:sign_in")).content.decode()
    assert "/connexion/oidc/" not in page
    assert client.get(START).status_code == 404


def test_the_sign_in_page_offers_the_provider(client, psc):
    page = client.get(reverse("accounts:sign_in") + "?next=/mon-compte/").content.decode()
    assert f'href="{START}?next=%2Fmon-compte%2F"' in page
