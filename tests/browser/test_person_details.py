"""A référent corrects a person's details and address and records a departure, in a real
Chromium, in French and English: every page (errors included) axe-clean at 1280 and 320 px,
no CSP violation. Elements are found by id, name and link target, not by their text.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import Habilitation, Profile, User
from tests.browser.conftest import assert_accessible, assert_no_csp_violation
from tests.factory import Factory

PASSWORD = "mot-de-passe-du-test-2026"
WIDTHS = (1280, 320)


@pytest.fixture
def world(reference_data):
    make = Factory()
    hospital = make.establishment(name="CENTRE HOSPITALIER SAINT-JEAN")
    cardiology = make.unit(hospital, name="Cardiologie")
    clinic = make.establishment(name="CLINIQUE DES PINS", departement="34")
    referent = make.user(email="ref.etab@example.test", last_name="Durand", password=PASSWORD)
    make.habilitation(referent, hospital, profile=Profile.REFERENT)
    nurse = make.user(email="ines.navarro@example.test", last_name="Navarro", first_name="Inès")
    make.habilitation(nurse, cardiology)
    leaver = make.user(email="jeanne.roux@example.test", last_name="Roux", first_name="Jeanne")
    make.habilitation(leaver, cardiology)
    make.habilitation(leaver, hospital, profile="medecin")
    # A right elsewhere: the departure leaves it, and the account, alone.
    stays = make.user(email="paul.faure@example.test", last_name="Faure", first_name="Paul")
    make.habilitation(stays, cardiology)
    make.habilitation(stays, clinic)
    return {"referent": referent, "nurse": nurse, "leaver": leaver, "stays": stays}


def sign_in(page: Page, live_server, email: str, language: str) -> None:
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto("/connexion/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)


def check(page: Page, language: str) -> None:
    assert page.locator("html").get_attribute("lang") == language
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_no_csp_violation(page)


def submit(page: Page) -> None:
    page.locator("main form[method=post] button[type=submit]").first.click()


def person_url(user: User) -> str:
    return reverse("administration:person", args=[user.pk])


@pytest.mark.parametrize("language", ["fr", "en"])
def test_referent_corrects_the_details_and_the_address(page: Page, live_server, world, language):
    nurse = world["nurse"]
    sign_in(page, live_server, world["referent"].email, language)
    page.goto(person_url(nurse))
    check(page, language)

    page.locator(f"a[href='{reverse('administration:person_details', args=[nurse.pk])}']").click()
    expect(page.locator("#id_national_id")).to_be_visible()
    check(page, language)
    page.locator("#id_national_id").fill("1234")
    submit(page)
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#id_national_id_error")).to_be_visible()
    check(page, language)
    page.locator("#id_national_id").fill("1000 1234 567")
    page.locator("#id_phone").fill("05 61 00 00 00")
    submit(page)
    page.wait_for_url(f"**{person_url(nurse)}")
    expect(page.locator(".message--success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("10001234567")
    check(page, language)
    nurse.refresh_from_db()
    assert (nurse.national_id, nurse.phone) == ("10001234567", "05 61 00 00 00")

    # The number typed in the list's box finds her.
    page.goto(reverse("administration:people"))
    page.locator("#id_q").fill("10001234567")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.locator("table.stack")).to_contain_text(nurse.email)
    check(page, language)

    page.goto(reverse("administration:person_email", args=[nurse.pk]))
    check(page, language)
    page.locator("#id_email").fill("ines.navarro@nouveau.example.test")
    submit(page)
    page.wait_for_url(f"**{person_url(nurse)}")
    expect(page.locator("main")).to_contain_text("ines.navarro@nouveau.example.test")
    check(page, language)
    nurse.refresh_from_db()
    assert nurse.email == "ines.navarro@example.test"  # until the link is followed

    (message,) = [m for m in mail.outbox if m.to == ["ines.navarro@nouveau.example.test"]]
    link = re.search(r"https?://[^/\s]+(/adresse/confirmer/[^\s]+/)", message.body)[1]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto(link)
    check(page, language)
    submit(page)
    page.wait_for_url("**/connexion/")
    expect(page.locator(".message--success")).to_be_visible()
    check(page, language)
    nurse.refresh_from_db()
    assert nurse.email == "ines.navarro@nouveau.example.test"
    page.goto(link)  # once only
    expect(page.locator("main .warning")).to_be_visible()
    check(page, language)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_referent_records_a_departure(page: Page, live_server, world, language):
    leaver, stays = world["leaver"], world["stays"]
    sign_in(page, live_server, world["referent"].email, language)

    page.goto(person_url(stays))
    page.locator(f"a[href='{reverse('administration:person_depart', args=[stays.pk])}']").click()
    expect(page.locator("#id_reason")).to_be_visible()
    check(page, language)
    page.locator("#id_reason").fill("Fin de contrat")
    submit(page)
    page.wait_for_url(f"**{person_url(stays)}")
    stays.refresh_from_db()
    assert stays.is_active  # the clinic's right stays
    assert Habilitation.objects.open_on().filter(user=stays).count() == 1

    page.goto(reverse("administration:person_depart", args=[leaver.pk]))
    expect(page.locator("section[aria-labelledby=ending-title] li")).to_have_count(2)
    check(page, language)
    submit(page)  # no reason: the error is shown and stays accessible
    expect(page.locator("#form-errors")).to_be_visible()
    check(page, language)
    page.locator("#id_reason").fill("Mutation")
    submit(page)
    page.wait_for_url(f"**{person_url(leaver)}")
    expect(page.locator(".message--success")).to_be_visible()
    expect(page.locator("main .status--ended")).to_have_count(2)
    check(page, language)
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert not Habilitation.objects.open_on().filter(user=leaver).exists()
    assert len([m for m in mail.outbox if m.to == [leaver.email]]) == 1
