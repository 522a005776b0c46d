"""Signing in with Pro Santé Connect in a real Chromium, against the local provider
(tests/oidc/provider.py): the redirect to the provider, its page, the way back, signed in.

The new pages (the sign-in page with its button, "No account yet", the provider's problem
page, Mon compte's identities) are checked with axe-core in French and English. Elements are
found by address and id, not by text: the French translations come later.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Page

from oidc.models import LinkedIdentity
from tests.browser.conftest import assert_accessible, assert_no_csp_violation
from tests.factory import Factory
from tests.oidc.provider import Provider, psc_person

PSC_BUTTON = "a[href^='/connexion/oidc/psc/']"


@pytest.fixture
def psc(reference_data, settings) -> Iterator[Provider]:
    provider = Provider()
    provider.interactive = True  # a page with a button, as the person's e-CPS would ask
    provider.start()
    settings.OIDC_PROVIDERS = {"psc": provider.settings()}
    yield provider
    provider.stop()


@pytest.fixture
def world(psc):
    make = Factory()
    hospital = make.establishment(name="CENTRE HOSPITALIER SAINT-JEAN")
    referent = make.referent(hospital, email="ref.etab@example.test", last_name="Durand")
    agent = make.user(email="agent@example.test", last_name="Martin", first_name="Léa")
    make.habilitation(agent, hospital)
    return {"hospital": hospital, "referent": referent, "agent": agent}


def in_language(page: Page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


def check(page: Page) -> None:
    assert_accessible(page)
    assert_no_csp_violation(page)


def through_psc(page: Page) -> None:
    page.goto("/connexion/")
    page.locator(PSC_BUTTON).click()
    page.wait_for_url(lambda url: "/authorize" in url)
    page.locator("#confirm").click()
    page.wait_for_url(lambda url: "/authorize" not in url)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_full_redirect_flow_signs_in(page: Page, live_server, world, psc, language):
    LinkedIdentity.objects.create(
        user=world["agent"], provider="psc", subject=psc.person["sub"], how="person"
    )
    in_language(page, live_server, language)
    page.goto("/connexion/")
    check(page)
    through_psc(page)
    assert page.url.endswith("/referents/mes-referents/") or "/referents/" in page.url
    page.goto("/mon-compte/")
    assert page.locator("#identities-title").is_visible()
    check(page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_account_yet_names_the_referents(page: Page, live_server, world, psc, language):
    psc.person = psc_person(finess_sites=(world["hospital"].finess,), finess_legal=("",))
    in_language(page, live_server, language)
    through_psc(page)
    assert world["referent"].email in page.content()
    check(page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_linking_from_my_account(page: Page, live_server, world, psc, language):
    from django.test import Client

    # Signed in with the password first (the session cookie of a test client).
    client = Client()
    client.force_login(world["agent"])
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    in_language(page, live_server, language)
    page.goto("/mon-compte/")
    check(page)
    page.locator("a[href='/mon-compte/identites/psc/lier/']").click()
    page.locator("#confirm").click()
    page.wait_for_url(lambda url: url.endswith("/mon-compte/"))
    assert LinkedIdentity.objects.filter(user=world["agent"]).exists()
    check(page)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_provider_down_gives_a_clear_page(page: Page, live_server, world, settings, language):
    settings.OIDC_PROVIDERS = {
        "psc": {
            "label": "Pro Santé Connect",
            "discovery_url": f"http://127.0.0.1:{_closed_port()}/.well-known/openid-configuration",
            "client_id": "viareferents",
            "client_secret": "x",
        }
    }
    in_language(page, live_server, language)
    page.goto("/connexion/")
    response_codes: list[int] = []
    page.on("response", lambda response: response_codes.append(response.status))
    page.locator(PSC_BUTTON).click()
    page.wait_for_load_state()
    assert 503 in response_codes
    assert "Pro Santé Connect" in page.content()
    check(page)
