"""The demo référent reads the Journal in a real Chromium: names and local dates, not ids; the
sign-ins apart, under their own filter, with the person who signed in as the actor.

Every page is checked with axe-core (WCAG 2.1 A/AA) and for CSP violations. Elements are found
by id and name, not by label: the French translations of these screens come later.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts import services
from accounts.models import Habilitation, User
from accounts.scope import Scope
from demo.world import DEFAULT_PASSWORD, REFERENT_EMAIL
from tests.browser.conftest import assert_accessible, assert_no_csp_violation


@pytest.fixture
def extended(reference_data) -> Habilitation:
    """A right of the demo référent's structures, extended by them by 30 days."""
    call_command("seed_demo", force=True, verbosity=0)
    referent = User.objects.get(email=REFERENT_EMAIL)
    scope = Scope.for_user(referent)
    right = (
        scope.habilitations()
        .open_on(timezone.localdate())
        .filter(profile__administers_accounts=False, profile__reviews_habilitations=False)
        .select_related("profile")
        .order_by("pk")
        .first()
    )
    assert right is not None
    return services.habilitation_extend(
        actor=referent,
        habilitation=right,
        end_date=right.end_date + datetime.timedelta(days=30),
    )


def check(page: Page) -> None:
    assert_accessible(page)
    assert_no_csp_violation(page)


def test_the_journal_reads_like_a_sentence(page: Page, extended: Habilitation):
    page.goto("/connexion/")
    page.locator("#id_username").fill(REFERENT_EMAIL)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)

    page.goto("/administration/journal/")
    changes = page.locator("tbody tr").first.locator("td").last
    expect(changes).to_contain_text(extended.profile.name)
    expect(changes).to_contain_text(f"{extended.end_date:%d/%m/%Y}")
    expect(changes).not_to_have_text(re.compile(rf"\b{re.escape(extended.profile.code)}\b"))
    expect(page.locator("main")).not_to_contain_text("account_exists")
    expect(page.locator("main")).not_to_contain_text(extended.end_date.isoformat())
    check(page)

    # The référent's own sign-in is no change: it shows under the sign-ins filter only.
    referent = User.objects.get(email=REFERENT_EMAIL)
    expect(page.locator("tbody")).not_to_contain_text("signin")
    page.locator("#id_action").select_option("signin")
    page.locator("form.search-form button[type=submit]").click()
    page.wait_for_url("**action=signin**")
    first = page.locator("tbody tr").first
    expect(first.locator("td").nth(1)).to_have_text(referent.full_name)
    expect(first.locator("td").nth(3)).to_have_text(referent.full_name)
    check(page)
