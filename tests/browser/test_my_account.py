"""Mon compte in a real Chromium: change my password (my other browser is signed out), and a
form with several errors opens with a summary whose links move to the fields, with or without
JavaScript.

Every page visited is checked with axe-core (WCAG 2.1 A/AA) and for CSP violations. Elements
are found by id and address, not by text: the French translations of these screens come later.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from demo.world import AGENT_EMAIL, DEFAULT_PASSWORD, REFERENT_EMAIL
from tests.browser.conftest import assert_accessible, assert_no_csp_violation

NEW_PASSWORD = "un tout nouveau mot de passe"


@pytest.fixture
def demo(reference_data):
    call_command("seed_demo", force=True, verbosity=0)


def check(page: Page) -> None:
    assert_accessible(page)
    assert_no_csp_violation(page)


def sign_in(page: Page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto("/connexion/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)


def summary_targets(page: Page) -> list[str]:
    summary = page.locator("#form-errors[role=alert]")
    expect(summary).to_be_visible()
    return [
        link.get_attribute("href").removeprefix("#")
        for link in summary.locator("a[href^='#']").all()
    ]


def test_changing_my_password_signs_my_other_browser_out(
    page: Page, browser: Browser, live_server, demo
):
    other_context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    other = other_context.new_page()
    try:
        sign_in(other, AGENT_EMAIL)
        sign_in(page, AGENT_EMAIL)

        page.goto("/mon-compte/")
        check(page)
        page.locator("main a[href='/mon-compte/mot-de-passe/']").click()
        page.wait_for_url("**/mon-compte/mot-de-passe/")
        check(page)

        # Several errors: the summary comes first and each link moves to its field.
        page.locator("#id_new_password1").fill("court")
        page.locator("#id_new_password2").fill("autre chose")
        page.locator("main form button[type=submit]").click()
        targets = summary_targets(page)
        assert targets == ["id_old_password", "id_new_password1", "id_new_password2"]
        check(page)
        for target in targets:
            page.locator(f"#form-errors a[href='#{target}']").click()
            expect(page.locator(f"#{target}")).to_be_focused()
        # The rules' error under the new password, only the mismatch under the confirmation.
        expect(page.locator("#id_new_password1_error")).to_be_visible()
        expect(page.locator("#id_new_password2_error p")).to_have_count(1)

        page.locator("#id_old_password").fill(DEFAULT_PASSWORD)
        page.locator("#id_new_password1").fill(NEW_PASSWORD)
        page.locator("#id_new_password2").fill(NEW_PASSWORD)
        page.locator("main form button[type=submit]").click()
        # (The fragment of the last summary link followed is kept: the form posts to its page.)
        page.wait_for_url(re.compile(r"/mon-compte/(#.*)?$"))
        expect(page.locator(".messages .message--success")).to_be_visible()
        check(page)

        # The other browser is signed out; this one is not.
        other.goto("/mon-compte/")
        other.wait_for_url("**/connexion/**")
        page.goto("/mon-compte/")
        expect(page.locator("main h1")).to_be_visible()
        assert "/connexion/" not in page.url
        assert User.objects.get(email=AGENT_EMAIL).check_password(NEW_PASSWORD)
        sign_in(other, AGENT_EMAIL, NEW_PASSWORD)
    finally:
        other_context.close()


def test_the_summary_links_move_to_the_fields_without_javascript(page_without_js: Page, demo):
    page = page_without_js
    sign_in(page, REFERENT_EMAIL)
    page.goto("/administration/comptes/nouveau/")
    page.locator("#id_email").fill("pas une adresse")
    page.locator("#id_start_date").fill("")
    page.locator("main form[method=post] button[type=submit]").click()
    targets = summary_targets(page)
    assert targets[:3] == ["id_last_name", "id_first_name", "id_email"]
    assert len(targets) >= 4
    for target in targets:
        page.locator(f"#form-errors a[href='#{target}']").click()
        assert page.url.endswith(f"#{target}")
        expect(page.locator(f"#{target}")).to_be_focused()
