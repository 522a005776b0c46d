"""Importing a staff file in a real Chromium: a file with good and bad rows, its preview, the
apply and the report, in French and in English, at 1280 and 320 px.

Every page is checked with axe-core (WCAG 2.1 A/AA) and for CSP violations. Elements are found
by id, name and address, not by text.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
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
    referent = make.user(email="ref.etab@example.test", last_name="Durand", password=PASSWORD)
    make.habilitation(referent, hospital, profile=Profile.REFERENT)
    agent = make.user(email="agent@example.test", last_name="Martin", first_name="Léa")
    make.habilitation(agent, cardiology)
    return {"hospital": hospital, "referent": referent, "agent": agent}


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
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_no_csp_violation(page)


def staff_file(finess: str) -> bytes:
    lines = [
        "nom;prénom;e-mail;téléphone;fonction;profil;FINESS;unité;début;fin",
        f"Navarro;Inès;ines.navarro@example.test;+33 6 12 34 56 78;Interne;Médecin;{finess};"
        "Cardiologie;;",
        f"Martin;Léa;agent@example.test;;;Secrétaire médicale;{finess};;;",
        f"Faux;Compte;pas-une-adresse;;;Médecin;{finess};;;",
        f"Roux;Paul;paul.roux@example.test;;;Médecin;{finess};Pédiatrie;;",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_referent_imports_a_file_with_good_and_bad_rows(page: Page, live_server, world, language):
    sign_in(page, live_server, world["referent"].email, language)
    page.goto("/administration/comptes/")
    page.locator('main a[href="/administration/comptes/import/"]').click()
    page.wait_for_url("**/administration/comptes/import/")
    check_at_each_width(page)

    page.locator("#id_file").set_input_files(
        files=[
            {
                "name": "equipe.csv",
                "mimeType": "text/csv",
                "buffer": staff_file(world["hospital"].finess),
            }
        ]
    )
    page.locator("main form[enctype='multipart/form-data'] button[type=submit]").click()
    page.wait_for_url("**/administration/comptes/import/apercu/")
    expect(page.locator("#rows-error")).to_be_visible()
    expect(page.locator("#rows-new")).to_be_visible()
    expect(page.locator("#rows-add")).to_be_visible()
    expect(page.locator("section[aria-labelledby=rows-error] tbody tr")).to_have_count(2)
    check_at_each_width(page)
    # Nothing changed yet.
    assert not User.objects.filter(email="ines.navarro@example.test").exists()

    page.locator("form[action$='/import/appliquer/'] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".message--success")).to_be_visible()
    check_at_each_width(page)
    person = User.objects.get(email="ines.navarro@example.test")
    assert Habilitation.objects.filter(user=person, unit__name="Cardiologie").exists()
    assert Habilitation.objects.filter(
        user=world["agent"], profile__code="secretaire-medicale"
    ).exists()
    assert not User.objects.filter(email="paul.roux@example.test").exists()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "agent@example.test",
        "ines.navarro@example.test",
    ]

    with page.expect_download() as download:
        page.locator("a[href$='/import/rapport.csv']").click()
    report = download.value.path().read_bytes().decode("utf-8-sig").splitlines()
    assert len(report) == 5
    assert report[1].startswith("2;Navarro;Inès;ines.navarro@example.test;'+33 6 12 34 56 78")
    assert report[3].startswith("4;Faux;Compte;pas-une-adresse")


def test_the_import_works_without_javascript(page_without_js: Page, live_server, world):
    page = page_without_js
    sign_in(page, live_server, world["referent"].email, "fr")
    page.goto("/administration/comptes/import/")
    page.locator("#id_file").set_input_files(
        files=[
            {
                "name": "equipe.csv",
                "mimeType": "text/csv",
                "buffer": staff_file(world["hospital"].finess),
            }
        ]
    )
    page.locator("main form[enctype='multipart/form-data'] button[type=submit]").click()
    page.wait_for_url("**/administration/comptes/import/apercu/")
    page.locator("form[action$='/import/annuler/'] button[type=submit]").click()
    page.wait_for_url("**/administration/comptes/import/")
    assert not User.objects.filter(email="ines.navarro@example.test").exists()
