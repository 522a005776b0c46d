"""The demo référent edits the directory sheet of their establishment, in a real Chromium.

Locators use ids and URLs rather than labels: the French translations of these screens are
added separately, and the test must not depend on their wording.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from demo.world import DEFAULT_PASSWORD, REFERENT_EMAIL
from structures.models import Establishment
from tests.browser.conftest import assert_accessible, assert_no_csp_violation


@pytest.fixture
def hospital(reference_data) -> Establishment:
    call_command("seed_demo", force=True, verbosity=0)
    return Establishment.objects.get(name="CH GARONNE-LAURAGAIS")


def check(page: Page) -> None:
    assert_accessible(page)
    assert_no_csp_violation(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_referent_edits_the_directory_sheet(page: Page, hospital):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/connexion/")
    page.get_by_label("Adresse e-mail").fill(REFERENT_EMAIL)
    page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/referents/**")

    page.goto("/administration/etablissements/")
    check(page)
    page.get_by_role("link", name=hospital.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(hospital.name)
    check(page)

    # A bad phone number: a clear error, nothing saved.
    page.locator("#id_phone").fill("12 34")
    page.locator("#id_access_info").fill("Entrée A, parking P2.")
    page.locator("#id_phone").press("Enter")
    expect(page.locator(".field--error #id_phone")).to_be_visible()
    check(page)

    page.locator("#id_phone").fill("+33 5 61 00 11 22")
    page.locator("#sheet-title ~ form button[type=submit]").click()
    expect(page.locator(".message--success")).to_be_visible()
    expect(page.locator("#id_phone")).to_have_value("05 61 00 11 22")
    hospital.refresh_from_db()
    assert hospital.phone == "05 61 00 11 22"
    assert hospital.access_info == "Entrée A, parking P2."
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SHEET_EDITED, establishment=hospital
    ).exists()

    # A unit's page, then the journal shows the change.
    page.locator("table a[href*='/unites/']").first.click()
    check(page)
    page.goto("/administration/journal/")
    expect(page.get_by_text("05 61 00 11 22")).to_be_visible()
    check(page)
