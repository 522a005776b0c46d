"""Prolonger and Terminer in bulk, in a real Chromium, in French and English: the accounts list
(the page's "tick all" box, "all N people" of a search), the person page, the confirmation,
its errors and the result with its refused rows, every page axe-clean at 1280 and 320 px and
without CSP violation. Elements are found by id, name and form action, not by their text.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import Habilitation, Profile, User
from tests.browser.conftest import assert_accessible, assert_no_csp_violation
from tests.factory import Factory, days, today

PASSWORD = "mot-de-passe-du-test-2026"
WIDTHS = (1280, 320)
EXTEND = reverse("administration:bulk_extend")
END = reverse("administration:bulk_end")


@pytest.fixture
def world(reference_data):
    make = Factory()
    hospital = make.establishment(name="CENTRE HOSPITALIER SAINT-JEAN")
    cardiology = make.unit(hospital, name="Cardiologie")
    referent = make.user(email="ref.etab@example.test", last_name="Durand", password=PASSWORD)
    make.habilitation(referent, hospital, profile=Profile.REFERENT)
    interns = []
    for index, (last, first) in enumerate(
        [("Navarro", "Inès"), ("Roux", "Jeanne"), ("Faure", "Paul")]
    ):
        person = make.user(email=f"interne{index}@example.test", last_name=last, first_name=first)
        make.habilitation(person, cardiology, end=today() + days(20))
        interns.append(person)
    # Already ending after the date offered: refused, and listed with its reason.
    make.habilitation(interns[0], hospital, profile="medecin", end=today() + days(400))
    return {"referent": referent, "interns": interns, "hospital": hospital}


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


@pytest.mark.parametrize("language", ["fr", "en"])
def test_referent_extends_every_person_of_the_page(page: Page, live_server, world, language):
    sign_in(page, live_server, world["referent"].email, language)
    page.goto(reverse("administration:people"))
    check(page, language)
    # The page's own box (bulk.js) ticks every person.
    page.locator("th[data-check-all] input[type=checkbox]").check()
    boxes = page.locator("input[name=people][form=bulk-form]")
    expect(boxes).to_have_count(4)
    for index in range(4):
        expect(boxes.nth(index)).to_be_checked()
    # The référent's own row is ticked too: its right is refused with the reason.
    page.locator(f"#bulk-form button[formaction='{EXTEND}']").click()
    page.wait_for_url(f"**{EXTEND}?*")
    expect(page.locator("#id_end_date")).to_be_visible()
    expect(page.locator("input[name=expected]")).to_have_value("5")
    check(page, language)

    page.locator("#id_end_date").fill("")
    submit(page)
    expect(page.locator("#form-errors")).to_be_visible()
    check(page, language)

    new_end = today() + days(300)
    page.locator("#id_end_date").fill(new_end.isoformat())
    submit(page)
    expect(page.locator(".message--success")).to_be_visible()
    expect(page.locator("section[aria-labelledby=refused-title] tbody tr")).to_have_count(2)
    check(page, language)
    for intern in world["interns"]:
        assert Habilitation.objects.get(user=intern, unit__isnull=False).end_date == new_end
    assert Habilitation.objects.filter(end_date=new_end).count() == 3


@pytest.mark.parametrize("language", ["fr", "en"])
def test_referent_ends_all_a_search_finds_and_a_right_of_a_person(
    page: Page, live_server, world, language
):
    first, second, third = world["interns"]
    sign_in(page, live_server, world["referent"].email, language)
    page.goto(reverse("administration:people"))
    page.locator("#id_q").fill("roux")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.locator("input[name=people][form=bulk-form]")).to_have_count(1)
    page.locator("#bulk-all").check()
    page.locator(f"#bulk-form button[formaction='{END}']").click()
    page.wait_for_url(f"**{END}?*")
    expect(page.locator("section[aria-labelledby=affected-title] li")).to_have_count(2)
    check(page, language)
    submit(page)  # no reason
    expect(page.locator("#form-errors")).to_be_visible()
    check(page, language)
    page.locator("#id_reason").fill("Fin de stage")
    submit(page)
    expect(page.locator(".message--success")).to_be_visible()
    check(page, language)
    assert not Habilitation.objects.open_on().filter(user=second).exists()
    assert Habilitation.objects.open_on().filter(user=third).exists()

    # On a person's page: one right ticked among two.
    page.goto(reverse("administration:person", args=[first.pk]))
    check(page, language)
    unit_right = Habilitation.objects.get(user=first, unit__isnull=False)
    page.locator(f"input[name=rights][value='{unit_right.pk}']").check()
    page.locator(f"#bulk-form button[formaction='{END}']").click()
    page.wait_for_url(f"**{END}?*")
    check(page, language)
    page.locator("#id_reason").fill("Changement de service")
    submit(page)
    expect(page.locator(".message--success")).to_be_visible()
    check(page, language)
    page.locator(f"main a[href='{reverse('administration:person', args=[first.pk])}']").last.click()
    page.wait_for_url(f"**{reverse('administration:person', args=[first.pk])}")
    unit_right.refresh_from_db()
    assert unit_right.end_reason == "Changement de service"
    assert Habilitation.objects.open_on().filter(user=first).count() == 1
    assert User.objects.get(pk=first.pk).is_active
