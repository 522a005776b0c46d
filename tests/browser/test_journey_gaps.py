"""The gaps of the journey, closed, in a real Chromium (issue #15): a person whose rights all
ended finds whom to ask; a unit's référent sees who serves them in turn; a director sees the
structures nobody serves first. Each page at 1280 and 320 px, in French and English, axe-clean.
"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override
from playwright.sync_api import Page, expect

from accounts.models import Profile
from tests.browser.conftest import assert_accessible, assert_no_csp_violation
from tests.factory import Factory

PASSWORD = "mot-de-passe-du-test-2026"
WIDTHS = (1280, 320)


@pytest.fixture
def world(reference_data):
    make = Factory()
    today = timezone.localdate()
    hospital = make.establishment(name="CENTRE HOSPITALIER SAINT-JEAN")
    cardiology = make.unit(hospital, name="Cardiologie")
    make.unit(hospital, name="Urgences")  # no référent of its own: the hospital's serve it
    clinic = make.establishment(name="CLINIQUE DES PINS", departement="34")
    make.unit(clinic, name="Pédiatrie")
    referent = make.user(email="ref.etab@example.test", last_name="Durand", password=PASSWORD)
    make.habilitation(referent, hospital, profile=Profile.REFERENT)
    unit_referent = make.user(
        email="ref.cardio@example.test", last_name="Bernard", password=PASSWORD
    )
    make.habilitation(unit_referent, cardiology, profile=Profile.REFERENT)
    former = make.user(email="ancienne@example.test", last_name="Roux", password=PASSWORD)
    ended_on = today - datetime.timedelta(days=20)
    make.habilitation(former, hospital, start=today - datetime.timedelta(days=200), end=ended_on)
    director = make.user(email="dir@example.test", last_name="Moreau", password=PASSWORD)
    make.habilitation(director, hospital, profile=Profile.DIRECTOR)
    make.habilitation(director, clinic, profile=Profile.DIRECTOR)
    return {
        "referent": referent,
        "unit_referent": unit_referent,
        "former": former,
        "ended_on": ended_on,
        "director": director,
    }


def sign_in(page: Page, live_server, email: str, language: str) -> None:
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto("/connexion/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)


def check_at_each_width(page: Page) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_accessible(page)
    assert_no_csp_violation(page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_person_whose_rights_ended_finds_whom_to_ask(page: Page, live_server, world, language):
    sign_in(page, live_server, world["former"].email, language)
    page.goto(reverse("referents:mine"))
    with override(language):
        day = date_format(world["ended_on"], "DATE_FORMAT")
    expected = {
        "fr": f"Votre droit a pris fin le {day}\u00a0: demandez à un de ces référents"
        " de le prolonger.",
        "en": f"Your right here ended on {day}: ask one of these referents to extend it.",
    }[language]
    expect(page.locator("main")).to_contain_text(expected)
    expect(page.locator("main")).to_contain_text(world["referent"].email)
    check_at_each_width(page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_unit_referent_sees_who_serves_them_in_turn(page: Page, live_server, world, language):
    sign_in(page, live_server, world["unit_referent"].email, language)
    page.goto(reverse("referents:mine"))
    cards = page.locator("main section.card")
    expect(cards.first).to_contain_text(world["referent"].email)
    expect(cards.nth(1)).to_contain_text("Cardiologie")
    expect(cards.nth(1)).to_contain_text(world["unit_referent"].email)
    check_at_each_width(page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_director_sees_the_structures_nobody_serves_first_and_filters_them(
    page: Page, live_server, world, language
):
    sign_in(page, live_server, world["director"].email, language)
    page.goto(reverse("reviews:uncovered"))
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(3)
    # The clinic comes after the hospital in the alphabet, but nobody serves it.
    expect(rows.nth(0)).to_contain_text("CLINIQUE DES PINS")
    expect(rows.nth(1)).to_contain_text("Pédiatrie")
    expect(rows.nth(2)).to_contain_text("Urgences")
    check_at_each_width(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#id_situation").select_option("etablissement")
    page.locator("form:has(#id_situation) button[type=submit]").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Urgences")
    assert_accessible(page)
