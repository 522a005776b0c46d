"""The second factor in the browser: enrol an authenticator app and sign in with it; enrol a
passkey with Chromium's virtual authenticator and sign in with it; a référent resets a
person's factor. axe-core clean on every page of the second factor, in French and English.

WebAuthn needs a secure context: the live server is http://localhost, which is one.
"""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Page, expect

from accounts.models import Profile
from mfa import totp
from mfa.models import Factor
from tests.browser.conftest import assert_accessible, assert_no_csp_violation
from tests.factory import Factory

PASSWORD = "un mot de passe bien long"


@pytest.fixture
def world(reference_data, settings):
    settings.MFA_REQUIRED = "administrators"
    settings.LOCKOUT_THRESHOLD = 5
    make = Factory()
    hospital = make.establishment(name="CENTRE HOSPITALIER SAINT-JEAN", city="TOULOUSE")
    unit = make.unit(hospital, name="Cardiologie")
    referent = make.referent(
        hospital, email="ref@example.test", last_name="Durand", first_name="Anne"
    )
    referent.set_password(PASSWORD)
    referent.save()
    nurse = make.user(email="nurse@example.test", last_name="Martin", first_name="Léa")
    make.habilitation(nurse, unit, profile="infirmier", granted_by=None)
    Factor.objects.create(user=nurse, kind="totp", name="Téléphone", totp_secret=totp.new_secret())
    assert Profile.objects.exists()
    return {"referent": referent, "nurse": nurse, "hospital": hospital}


def check(page: Page) -> None:
    assert_accessible(page)
    assert_no_csp_violation(page)


def use_language(page: Page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/connexion/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()


def next_code(secret: str) -> str:
    # The code of the next step: accepted (drift), and later than the one just used.
    return totp.code_at(secret, time.time() + totp.STEP_SECONDS)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_enrol_an_app_then_sign_in_with_it(page: Page, live_server, world, language):
    use_language(page, live_server, language)
    sign_in(page, "ref@example.test")
    page.goto("/administration/comptes/")
    expect(page).to_have_url(re.compile(r"/second-facteur/ajouter/"))
    check(page)
    page.locator("main a[href*='/ajouter/application/']").click()
    check(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.locator("#id_code").fill(totp.code_at(secret))
    page.locator("#id_name").fill("Mon téléphone")
    page.locator("main form button[type=submit]").click()
    # The recovery codes, once.
    expect(page).to_have_url(re.compile(r"/second-facteur/codes-de-secours/"))
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    check(page)
    page.locator("main a.button").click()
    # Enrolling is not verifying: the new factor is asked.
    expect(page).to_have_url(re.compile(r"/second-facteur/\?next="))
    check(page)
    page.locator("#id_code").fill("000000" if next_code(secret) != "000000" else "111111")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("#form-errors")).to_be_visible()
    check(page)
    page.locator("#id_code").fill(next_code(secret))
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/administration/comptes/$"))

    # Mon compte lists it; the recovery codes page and the removal page.
    page.goto("/mon-compte/")
    expect(page.locator("#second-factor-title")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Mon téléphone")
    check(page)
    page.goto("/second-facteur/codes-de-secours/")
    check(page)
    factor = Factor.objects.get(user=world["referent"])
    page.goto(f"/second-facteur/{factor.pk}/supprimer/")
    check(page)
    page.goto("/second-facteur/ajouter/cle/")
    check(page)


def test_a_first_factor_long_after_signing_in_asks_the_password(
    page: Page, live_server, world, settings
):
    settings.MFA_RECENT_MINUTES = 0
    sign_in(page, "ref@example.test")
    time.sleep(1.1)
    for language in ("fr", "en"):
        use_language(page, live_server, language)
        page.goto("/second-facteur/ajouter/")
        expect(page).to_have_url(re.compile(r"/second-facteur/mot-de-passe/"))
        check(page)
    page.locator("#id_password").fill("pas le bon")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#form-errors")).to_be_visible()
    check(page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_enrol_a_passkey_then_sign_in_with_it(page: Page, live_server, world, language):
    use_language(page, live_server, language)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    sign_in(page, "ref@example.test")
    page.goto("/second-facteur/ajouter/cle/")
    check(page)
    page.locator("#id_name").fill("Cet ordinateur")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/second-facteur/codes-de-secours/"))
    factor = Factor.objects.get(user=world["referent"])
    assert factor.kind == "webauthn"
    assert factor.name == "Cet ordinateur"
    page.locator("main a.button").click()
    expect(page).to_have_url(re.compile(r"/second-facteur/$"))
    check(page)
    page.locator("form[data-passkey] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/referents/"))

    # Next sign-in: the passkey again.
    page.locator("header form[action='/deconnexion/'] button").click()
    sign_in(page, "ref@example.test")
    page.goto("/administration/comptes/")
    expect(page).to_have_url(re.compile(r"/second-facteur/\?next="))
    page.locator("form[data-passkey] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/administration/comptes/$"))
    factor.refresh_from_db()
    assert factor.last_used_at is not None


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_referent_resets_a_persons_factor(page: Page, live_server, world, language):
    referent = world["referent"]
    secret = totp.new_secret()
    Factor.objects.create(
        user=referent,
        kind="totp",
        name="App",
        totp_secret=secret,
        totp_last_step=totp.time_step() - 5,
    )
    use_language(page, live_server, language)
    sign_in(page, referent.email)
    page.locator("#id_code").fill(totp.code_at(secret))
    page.locator("main form button[type=submit]").last.click()
    nurse = world["nurse"]
    page.goto(f"/administration/comptes/{nurse.pk}/")
    page.locator(
        f"main a[href='/administration/comptes/{nurse.pk}/second-facteur/reinitialiser/']"
    ).click()
    expect(page.locator("main")).to_contain_text("Téléphone")
    check(page)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/administration/comptes/{nurse.pk}/$"))
    assert not Factor.objects.filter(user=nurse).exists()
    page.goto(f"/administration/comptes/{nurse.pk}/second-facteur/reinitialiser/")
    check(page)
