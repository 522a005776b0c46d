"""A new person activates their account from the e-mailed link and accepts the charter;
a forgotten password blocks an account after five tries; the référent unblocks it.

Fields are found by id: these screens' French wording may still change.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Page, expect

from accounts.models import Charter, Profile, User
from accounts.scope import Scope
from accounts.services import account_create
from demo.world import AGENT_EMAIL, DEFAULT_PASSWORD, REFERENT_EMAIL
from tests.browser.conftest import assert_accessible, assert_no_csp_violation


@pytest.fixture
def demo(reference_data, settings):
    settings.LOCKOUT_THRESHOLD = 5
    call_command("seed_demo", force=True, verbosity=0)
    return User.objects.get(email=REFERENT_EMAIL)


def check(page: Page) -> None:
    assert_accessible(page)
    assert_no_csp_violation(page)


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/connexion/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()


def test_a_new_person_chooses_a_password_signs_in_and_accepts_the_charter(page: Page, demo):
    establishment = Scope.for_user(demo).establishments().first()
    account_create(
        actor=demo,
        email="nouvelle.recrue@example.test",
        last_name="Recrue",
        first_name="Nina",
        job_title="Infirmière",
        profile=Profile.objects.get(code="infirmier"),
        establishment=establishment,
    )
    message = next(m for m in mail.outbox if m.to == ["nouvelle.recrue@example.test"])
    link = re.search(r"https?://\S+/mot-de-passe/nouveau/\S+/", message.body)[0]
    path = "/" + link.split("/", 3)[3]

    page.goto(path)
    check(page)
    password = "un mot de passe bien long"
    page.locator("#id_new_password1").fill(password)
    page.locator("#id_new_password2").fill(password)
    page.locator("main form button[type=submit]").click()
    check(page)

    sign_in(page, "nouvelle.recrue@example.test", password)
    page.wait_for_url("**/charte/**")
    expect(page.locator("h2#charter-title")).to_have_text(Charter.objects.current().title)
    check(page)
    # Every other page leads back to the charter until it is accepted.
    page.goto("/referents/")
    page.wait_for_url("**/charte/**")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/referents/")
    expect(page.get_by_role("link", name=REFERENT_EMAIL).first).to_be_visible()
    check(page)


def test_five_wrong_passwords_block_and_the_referent_unblocks(page: Page, demo):
    agent = User.objects.get(email=AGENT_EMAIL)
    for _ in range(5):
        sign_in(page, AGENT_EMAIL, "pas le bon mot de passe")
    agent.refresh_from_db()
    assert agent.is_blocked
    # The right password no longer opens the account, and the page says nothing more.
    sign_in(page, AGENT_EMAIL, DEFAULT_PASSWORD)
    expect(page.locator(".form-errors")).to_be_visible()
    assert "/connexion/" in page.url
    check(page)

    sign_in(page, REFERENT_EMAIL, DEFAULT_PASSWORD)
    page.goto(f"/administration/comptes/{agent.pk}/")
    page.locator(".warning form button[type=submit]").click()
    expect(page.locator(".message--success")).to_be_visible()
    page.locator("header form[action$='/deconnexion/'] button").click()

    sign_in(page, AGENT_EMAIL, DEFAULT_PASSWORD)
    page.wait_for_url("**/referents/")
    agent.refresh_from_db()
    assert not agent.is_blocked
    assert agent.failed_login_count == 0
