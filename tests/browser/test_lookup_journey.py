"""The lookup journey of the user document, in a real Chromium, on the demo world.

Every page visited is checked with axe-core (WCAG 2.1 A/AA) and for CSP violations.
Set SCREENSHOTS=1 to also save each screen under docs/screenshots/ (desktop and 320 px).
"""

from __future__ import annotations

import os
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from demo.world import AGENT_EMAIL, DEFAULT_PASSWORD
from structures.models import Establishment
from tests.browser.conftest import assert_accessible, assert_no_csp_violation, screenshot

SAVE_SCREENSHOTS = os.environ.get("SCREENSHOTS") == "1"


@pytest.fixture
def demo_world(reference_data):
    call_command("seed_demo", force=True, verbosity=0)
    hospital = Establishment.objects.get(name="CH GARONNE-LAURAGAIS")
    unserved = Establishment.objects.get(name="EHPAD LES GENÊTS")
    return {
        "hospital": hospital,
        "inheriting_unit": hospital.units.get(name="Médecine polyvalente"),
        "unserved": unserved,
    }


def check(page: Page, name: str | None = None) -> None:
    assert_accessible(page)
    assert_no_csp_violation(page)
    if SAVE_SCREENSHOTS and name:
        screenshot(page, f"{name}-desktop")
        page.set_viewport_size({"width": 320, "height": 800})
        assert_accessible(page)
        screenshot(page, f"{name}-320px")
        page.set_viewport_size({"width": 1280, "height": 800})


def sign_in(page: Page, email: str = AGENT_EMAIL, audit: bool = True) -> None:
    page.goto("/connexion/")
    if audit:
        check(page, "01-connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_an_agent_finds_their_referents_and_the_escalation(page: Page, demo_world):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page)

    # 1. Administration -> Mes référents: the référents of the agent's unit, at once.
    page.get_by_text("Administration", exact=True).click()
    page.get_by_role("link", name="Mes référents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes référents")
    expect(page.get_by_role("link", name="referent@demo.test")).to_be_visible()
    expect(page.get_by_text("référent de l’établissement").first).to_be_visible()
    check(page, "02-mes-referents")

    # 2. "Référents voir" -> the list, expanded in place with JavaScript.
    page.get_by_role("link", name="Référents voir").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Liste des référents ViaTrajectoire")
    check(page, "03-liste-des-referents")
    page.get_by_role("link", name="Déplier Occitanie").click()
    page.get_by_role("link", name="Déplier 31 – Haute-Garonne").click()
    hospital = demo_world["hospital"]
    page.get_by_role("link", name=f"Déplier {hospital.name}").click()
    expect(page.get_by_role("link", name="Replier Occitanie")).to_have_attribute(
        "aria-expanded", "true"
    )
    assert page.url.endswith("/referents/liste/")  # no reload: children loaded in place
    check(page, "04-arbre-deplie")

    # 3. A unit that inherits: its référents are the establishment's, with mailto links.
    page.get_by_role("link", name="Médecine polyvalente", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Liste des référents ViaTrajectoire identifiés"
    )
    expect(page.get_by_text("référent de l’établissement")).to_be_visible()
    mailto = page.get_by_role("link", name="referent@demo.test").get_attribute("href")
    assert mailto.startswith("mailto:referent@demo.test?subject=")
    assert hospital.finess in mailto
    check(page, "05-referents-identifies")

    # 4. Search by FINESS number, then by a name typed without accents.
    page.goto("/referents/liste/")
    page.get_by_label("Rechercher un établissement").fill(hospital.finess)
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("link", name=hospital.name, exact=True)).to_be_visible()
    check(page, "06-recherche")
    page.get_by_label("Rechercher un établissement").fill("ehpad les genets")
    page.get_by_role("button", name="Rechercher").click()
    unserved = demo_world["unserved"]
    page.get_by_role("link", name=unserved.name, exact=True).click()

    # 5. Nobody is identified: the directors and the support desk of the region.
    expect(page.get_by_role("heading", level=1)).to_have_text("Aucun référent identifié")
    expect(page.get_by_role("link", name="assistance@esante-occitanie.fr")).to_be_visible()
    director_links = page.locator("section").filter(has_text="direction").get_by_role("link")
    assert director_links.count() >= 1
    support = page.get_by_role("link", name="assistance@esante-occitanie.fr").get_attribute("href")
    assert unserved.finess in support
    assert "body=" in support
    check(page, "07-escalade")


def test_the_tree_opens_without_javascript(page_without_js: Page, demo_world):
    # axe-core needs JavaScript: the pages are the same HTML as in the test above, audited there.
    page = page_without_js
    sign_in(page, audit=False)
    page.goto("/referents/liste/")
    page.get_by_role("link", name="Déplier Occitanie").click()
    assert "region=76" in page.url
    page.get_by_role("link", name="Déplier 31 – Haute-Garonne").click()
    hospital = demo_world["hospital"]
    page.get_by_role("link", name=f"Déplier {hospital.name}").click()
    assert re.search(rf"etablissement={hospital.pk}\b", page.url)
    page.get_by_role("link", name="Médecine polyvalente", exact=True).click()
    expect(page.get_by_role("link", name="referent@demo.test")).to_be_visible()


def test_the_menu_and_the_tree_work_with_the_keyboard_alone(page: Page, demo_world):
    sign_in(page)
    page.goto("/referents/liste/")
    toggle = page.get_by_role("link", name="Déplier Occitanie")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Replier Occitanie")).to_be_visible()
    expect(page.get_by_role("link", name="Déplier 31 – Haute-Garonne")).to_be_visible()
    # The Administration menu is a <details>: Enter opens it, Tab reaches its entries.
    page.locator("summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Mes référents" in focused


def test_account_and_password_pages_are_accessible_in_both_languages(page: Page, demo_world):
    page.goto("/mot-de-passe/oubli/")
    check(page)
    sign_in(page)
    page.goto("/mon-compte/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    check(page, "08-mon-compte")
    # The e-mail opt-in of a habilitation: a form per row, keyboard-operable.
    toggle = re.compile("Arrêter les e-mails|Recevoir les e-mails")
    page.get_by_role("button", name=toggle).first.click()
    expect(page.locator(".message--success")).to_be_visible()
    check(page)
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer de langue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    check(page)
