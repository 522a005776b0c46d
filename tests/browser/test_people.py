"""Comptes utilisateurs in a real Chromium: create an account, extend and end its right.

Every page visited is checked with axe-core (WCAG 2.1 A/AA) and for CSP violations. Elements
are found by id and name, not by text: the French translations of these screens come later.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Page, expect

from accounts.models import Habilitation, User
from accounts.scope import Scope
from demo.world import DEFAULT_PASSWORD, REFERENT_EMAIL
from tests.browser.conftest import assert_accessible, assert_no_csp_violation
from tests.factory import days, today


@pytest.fixture
def demo_world(reference_data):
    call_command("seed_demo", force=True, verbosity=0)
    referent = User.objects.get(email=REFERENT_EMAIL)
    return {"establishment_id": min(Scope.for_user(referent).establishment_ids)}


def check(page: Page) -> None:
    assert_accessible(page)
    assert_no_csp_violation(page)


def sign_in(page: Page) -> None:
    page.goto("/connexion/")
    page.locator("#id_username").fill(REFERENT_EMAIL)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)


def submit(page: Page) -> None:
    page.locator("main form[method=post] button[type=submit]").first.click()


def test_referent_creates_an_account_extends_and_ends_its_right(page: Page, demo_world):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page)

    page.goto("/administration/comptes/")
    expect(page.locator("h1")).to_be_visible()
    check(page)
    page.locator("#id_q").fill("castan")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.locator("table.stack")).to_contain_text("agent@demo.test")
    check(page)

    page.goto("/administration/comptes/nouveau/")
    check(page)
    page.locator("#id_last_name").fill("Navarro")
    page.locator("#id_first_name").fill("Inès")
    page.locator("#id_email").fill("ines.navarro@example.test")
    page.locator("#id_profile").select_option(label="Infirmier(e)")
    page.locator("#id_structure").select_option(value=f"e:{demo_world['establishment_id']}")
    submit(page)
    page.wait_for_url("**/administration/comptes/*/")
    person = User.objects.get(email="ines.navarro@example.test")
    assert not person.has_usable_password()
    assert any(m.to == ["ines.navarro@example.test"] for m in mail.outbox)
    expect(page.locator("main")).to_contain_text("ines.navarro@example.test")
    check(page)

    habilitation = Habilitation.objects.get(user=person)
    page.goto(f"/administration/comptes/habilitations/{habilitation.pk}/prolonger/")
    check(page)
    new_end = habilitation.end_date + days(30)
    page.locator("#id_end_date").fill(new_end.isoformat())
    submit(page)
    page.wait_for_url(f"**/administration/comptes/{person.pk}/")
    habilitation.refresh_from_db()
    assert habilitation.end_date == new_end
    check(page)

    page.goto(f"/administration/comptes/habilitations/{habilitation.pk}/terminer/")
    check(page)
    submit(page)  # No reason: the error is shown and stays accessible.
    expect(page.locator(".field__errors")).to_be_visible()
    check(page)
    page.locator("#id_reason").fill("Erreur de saisie")
    submit(page)
    page.wait_for_url(f"**/administration/comptes/{person.pk}/")
    habilitation.refresh_from_db()
    assert habilitation.ended_at is not None
    assert habilitation.start_date == today()
    expect(page.locator("main .status--ended")).to_be_visible()
    check(page)


def test_referent_unblocks_an_account(page: Page, demo_world):
    referent = User.objects.get(email=REFERENT_EMAIL)
    blocked = Scope.for_user(referent).people().filter(blocked_at__isnull=False).first()
    assert blocked is not None
    sign_in(page)
    page.goto("/administration/comptes/?blocked=on")
    expect(page.locator("table.stack")).to_contain_text(blocked.email)
    check(page)
    page.goto(f"/administration/comptes/{blocked.pk}/")
    check(page)
    page.locator(".warning form button[type=submit]").click()
    page.wait_for_url(f"**/administration/comptes/{blocked.pk}/")
    expect(page.locator(".message--success")).to_be_visible()
    check(page)
    blocked.refresh_from_db()
    assert not blocked.is_blocked
