"""The escalation found in a real browser, now refused; and a blocked person told whom to ask.

Before: the Cardiology référent granted the "Directeur" profile on Cardiology; the new director
then reviewed the whole establishment. Now the form does not offer that profile, and a forged
form (the option added back in the page) is refused with a French message.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Habilitation, Profile
from tests.browser.conftest import assert_accessible, assert_no_csp_violation
from tests.factory import Factory

PASSWORD = "mot-de-passe-du-test-2026"


@pytest.fixture
def world(reference_data):
    make = Factory()
    hospital = make.establishment(name="CENTRE HOSPITALIER SAINT-JEAN")
    cardiology = make.unit(hospital, name="Cardiologie")
    emergency = make.unit(hospital, name="Urgences")
    referent = make.user(email="ref.cardio@example.test", last_name="Bernard", password=PASSWORD)
    make.habilitation(referent, cardiology, profile=Profile.REFERENT)
    nurse = make.user(email="urgences@example.test", last_name="Roux")
    make.habilitation(nurse, emergency)
    blocked = make.user(
        email="bloquee@example.test",
        last_name="Faure",
        password=PASSWORD,
        blocked_at=timezone.now(),
        blocked_reason="5 échecs",
    )
    make.habilitation(blocked, cardiology)
    return {"cardiology": cardiology, "referent": referent, "blocked": blocked}


def sign_in(page: Page, email: str) -> None:
    page.goto("/connexion/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_a_unit_referent_cannot_make_a_director(page: Page, world):
    sign_in(page, world["referent"].email)
    page.wait_for_url(lambda url: "/connexion/" not in url)
    page.goto("/administration/comptes/nouveau/")
    director = Profile.objects.get(code=Profile.DIRECTOR)
    options = page.locator("#id_profile option").all_text_contents()
    assert "Infirmier(e)" in options or any("Infirmier" in o for o in options)
    assert director.name not in options
    assert_accessible(page)

    # The option put back by hand, as a curious référent would in the developer tools.
    page.evaluate(
        "([id, name]) => { const o = new Option(name, id); "
        "document.querySelector('#id_profile').add(o); }",
        [str(director.pk), director.name],
    )
    page.locator("#id_last_name").fill("Complice")
    page.locator("#id_first_name").fill("Jean")
    page.locator("#id_email").fill("complice@example.test")
    page.locator("#id_profile").select_option(str(director.pk))
    page.locator("#id_structure").select_option(f"u:{world['cardiology'].pk}")
    page.locator("main form[method=post] button[type=submit]").first.click()

    # Refused on the profile field (the service would refuse it too: test_escalation.py).
    expect(page.locator("main")).to_contain_text("Sélectionnez un choix valide")
    assert "/administration/comptes/nouveau/" in page.url
    assert not Habilitation.objects.filter(profile=director).exists()
    assert_accessible(page)
    assert_no_csp_violation(page)


def test_a_blocked_person_with_the_right_password_sees_whom_to_ask(page: Page, world):
    sign_in(page, world["blocked"].email)
    expect(page.locator("main")).to_contain_text("Votre compte est bloqué")
    link = page.locator(f"main a[href='mailto:{world['referent'].email}']")
    expect(link).to_be_visible()
    assert_accessible(page)
    assert_no_csp_violation(page)
