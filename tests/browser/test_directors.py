"""The directors' area in a real Chromium, on the demo world: the review table and its CSV
export, a review campaign from start to report, and the structures without a référent.

Every page visited is checked with axe-core (WCAG 2.1 A/AA) and for CSP violations. Elements
are found by id, name and CSS, not by text: the French translations of these screens change.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Habilitation, Profile
from demo.world import DEFAULT_PASSWORD, DIRECTOR_EMAIL, REFERENT_EMAIL
from reviews.models import ReviewCampaign, ReviewDecision
from structures.models import Establishment
from tests.browser.conftest import assert_accessible, assert_no_csp_violation

DATE = re.compile(r"[0-9]{2}/[0-9]{2}/[0-9]{4}")
BOM = b"\xef\xbb\xbf"
# The campaign's decision pages: 50 rights a page, in this order (reviews.views.campaigns).
CAMPAIGN_PAGE_SIZE = 50
CAMPAIGN_ORDER = ("user__last_name", "user__first_name", "snapshot_profile__order", "pk")


@pytest.fixture
def demo_world(reference_data):
    call_command("seed_demo", force=True, verbosity=0)
    hospital = Establishment.objects.get(name="CH GARONNE-LAURAGAIS")
    maternity = hospital.units.get(name="Maternité")
    cardiology = hospital.units.get(name="Cardiologie")
    return {
        "hospital": hospital,
        "maternity": maternity,
        "referent_profile": Profile.objects.get(code=Profile.REFERENT),
        # Both units have a référent of their own: one right is removed, the other kept.
        "to_remove": Habilitation.objects.select_related("user").get(
            profile__code=Profile.REFERENT, unit=maternity
        ),
        "to_keep": Habilitation.objects.select_related("user").get(
            profile__code=Profile.REFERENT, unit=cardiology
        ),
    }


def check(page: Page) -> None:
    assert_accessible(page)
    assert_no_csp_violation(page)


def sign_in(page: Page) -> None:
    page.goto("/connexion/")
    check(page)
    page.locator("#id_username").fill(DIRECTOR_EMAIL)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)
    if "/charte/" in page.url:
        check(page)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/charte/" not in url)


def submit(page: Page) -> None:
    page.locator("main form[method=post] button[type=submit]").first.click()


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    text = data[len(BOM) :].decode("utf-8")
    assert ";" in text.splitlines()[0]
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def campaign_page_of(campaign: ReviewCampaign, habilitation: Habilitation) -> tuple[int, int]:
    """(decision id, page number) of the habilitation's row on the campaign's pages."""
    ids = list(campaign.decisions.order_by(*CAMPAIGN_ORDER).values_list("pk", flat=True))
    decision = campaign.decisions.get(habilitation=habilitation)
    return decision.pk, ids.index(decision.pk) // CAMPAIGN_PAGE_SIZE + 1


def test_director_reviews_exports_and_runs_a_campaign(page: Page, demo_world):
    page.set_viewport_size({"width": 1280, "height": 800})
    hospital = demo_world["hospital"]
    to_remove = demo_world["to_remove"]
    to_keep = demo_world["to_keep"]
    referent_profile = demo_world["referent_profile"]
    sign_in(page)
    check(page)

    # 1. The review table, filtered on the référent profile and the active rights.
    page.goto("/administration/revue/")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("table.stack")).to_be_visible()
    check(page)
    page.locator("#id_profil").select_option(value=str(referent_profile.pk))
    page.locator("#id_statut").select_option(value="active")
    page.locator("main form.search-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"profil={referent_profile.pk}"))
    assert "statut=active" in page.url
    rows = page.locator("table.stack tbody tr")
    expect(rows.first).to_be_visible()
    profiles = rows.locator("td:nth-child(2)").all_inner_texts()
    assert profiles
    assert {text.strip() for text in profiles} == {referent_profile.name}
    active_referents = (
        Habilitation.objects.active_on(timezone.localdate())
        .filter(establishment=hospital, profile=referent_profile)
        .count()
    )
    assert rows.count() == active_referents
    table = page.locator("table.stack")
    expect(table).to_contain_text(to_remove.user.email)
    expect(table).to_contain_text(to_keep.user.email)
    expect(table).to_contain_text(REFERENT_EMAIL)
    expect(table).not_to_contain_text(DIRECTOR_EMAIL)
    check(page)

    # 2. The filtered table as CSV for French Excel: BOM, ";", accents, DD/MM/YYYY.
    with page.expect_download() as info:
        page.locator("main a[download][href*='export.csv']").click()
    download = info.value
    assert download.suggested_filename.startswith(f"revue-habilitations-{hospital.finess}-")
    assert download.suggested_filename.endswith(".csv")
    lines = read_csv(download.path().read_bytes())
    header, body = lines[0], lines[1:]
    assert len(header) == 14
    assert len(body) == rows.count()
    assert all(len(line) == 14 for line in body)
    assert {line[3] for line in body} == {referent_profile.name}
    maternity_rows = [line for line in body if line[2] == to_remove.user.email]
    assert len(maternity_rows) == 1
    assert maternity_rows[0][6] == "Maternité"
    assert any("é" in cell for line in body for cell in line)
    for line in body:
        assert DATE.fullmatch(line[7]), line
        assert DATE.fullmatch(line[8]), line
    assert f"{to_remove.start_date:%d/%m/%Y}" == maternity_rows[0][7]
    assert f"{to_remove.end_date:%d/%m/%Y}" == maternity_rows[0][8]

    # 3. A review campaign of the demo hospital.
    page.goto("/administration/campagnes/")
    check(page)
    page.locator("#id_establishment").select_option(value=str(hospital.pk))
    page.locator("main form[action$='/lancer/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/administration/campagnes/[0-9]+/$"))
    expect(page.locator(".message--success")).to_be_visible()
    campaign = ReviewCampaign.objects.get(establishment=hospital, closed_at__isnull=True)
    assert page.url.endswith(f"/administration/campagnes/{campaign.pk}/")
    check(page)

    # The director's own right has no decision field: another director decides on it.
    own = campaign.decisions.get(user__email=DIRECTOR_EMAIL)
    own_page = campaign_page_of(campaign, own.habilitation)[1]
    page.goto(f"/administration/campagnes/{campaign.pk}/?page={own_page}")
    expect(page.locator(f"input[name=decision_{own.pk}]")).to_have_count(0)
    expect(page.locator("main form[method=post] input[type=radio]").first).to_be_attached()
    check(page)

    # Remove the Maternité référent, keep the Cardiologie one (each on its own page if need be).
    choices = [(to_remove, ReviewDecision.Decision.REMOVE), (to_keep, ReviewDecision.Decision.KEEP)]
    for habilitation, decision in choices:
        decision_id, number = campaign_page_of(campaign, habilitation)
        page.goto(f"/administration/campagnes/{campaign.pk}/?page={number}")
        check(page)
        page.locator(f"input[name=decision_{decision_id}][value={decision.value}]").check()
        page.locator(f"#id_comment_{decision_id}").fill("Revue annuelle : décidé à l’essai")
        submit(page)
        expect(page.locator(".message--success")).to_be_visible()
        expect(
            page.locator(f"input[name=decision_{decision_id}][value={decision.value}]")
        ).to_be_checked()
        check(page)
    decisions = {
        d.habilitation_id: d.decision
        for d in campaign.decisions.filter(habilitation__in=[to_remove, to_keep])
    }
    assert decisions == {to_remove.pk: "remove", to_keep.pk: "keep"}

    # Close: a confirmation page, then the POST.
    page.locator(f"main a[href$='/campagnes/{campaign.pk}/cloturer/']").click()
    page.wait_for_url(f"**/administration/campagnes/{campaign.pk}/cloturer/")
    check(page)
    submit(page)
    page.wait_for_url(f"**/administration/campagnes/{campaign.pk}/rapport/")
    expect(page.locator(".message--success")).to_be_visible()
    check(page)
    expect(page.locator("section[aria-labelledby=section-removed]")).to_contain_text(
        to_remove.user.email
    )
    expect(page.locator("section[aria-labelledby=section-kept]")).to_contain_text(
        to_keep.user.email
    )
    campaign.refresh_from_db()
    assert campaign.closed_at is not None

    to_remove.refresh_from_db()
    assert to_remove.ended_at is not None
    assert to_remove.end_reason == "revue"
    to_keep.refresh_from_db()
    assert to_keep.ended_at is None

    # 4. The lookup of the Maternité: the removed référent is gone, the establishment's serve it.
    maternity = demo_world["maternity"]
    page.goto(f"/referents/unites/{maternity.pk}/")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(to_remove.user.email)
    expect(page.locator(f"main a[href^='mailto:{REFERENT_EMAIL}']")).to_be_visible()
    check(page)
    page.goto(f"/referents/unites/{to_keep.unit_id}/")
    expect(page.locator(f"main a[href^='mailto:{to_keep.user.email}']")).to_be_visible()
    check(page)

    # 5. Structures sans référent: the Maternité is listed now, its last référent ended today.
    page.goto("/administration/sans-referent/")
    expect(page.locator("h1")).to_be_visible()
    maternity_row = page.locator("table.stack tbody tr").filter(
        has=page.locator("td:nth-child(2)", has_text=re.compile(r"^\s*Maternité\s*$"))
    )
    expect(maternity_row).to_have_count(1)
    ended_on = timezone.localtime(to_remove.ended_at).date()
    expect(maternity_row.locator("td:nth-child(4)")).to_have_text(f"{ended_on:%d/%m/%Y}")
    check(page)
