"""Wide tables in a real Chromium, on the demo world: every column reachable at 1280, 1024 and
320 px without the page scrolling sideways, and every column on a printed landscape page.

A table either fits, or scrolls inside its own region (focusable, keyboard-scrollable, with a
hint that tables.js shows only while it overflows), or at 320 px becomes one card per row whose
cells name their column. Elements are found by id, role and CSS; the header texts checked are
the French translations already in the catalog.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Locator, Page, expect

from demo.world import DEFAULT_PASSWORD, DIRECTOR_EMAIL, REFERENT_EMAIL
from tests.browser.conftest import assert_accessible, assert_no_csp_violation

WIDTHS = (1280, 1024, 320)
# A4 landscape (297 mm) less the 1 cm margins of app.css's @page, at 96 px an inch.
PRINT_WIDTH = round((297 - 2 * 10) / 25.4 * 96)
# Resolves once the region's scrolling has ended (or a second later).
SCROLL_END = """region => new Promise(done => {
  region.addEventListener("scrollend", done, {once: true});
  setTimeout(done, 1000);
})"""
MEDIA_BOX = re.compile(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]")

# (who, page, the region's heading id, the last column's header)
TABLES = [
    (DIRECTOR_EMAIL, "/administration/revue/", "habilitations-title", "Charte"),
    (REFERENT_EMAIL, "/administration/comptes/", "people-title", "Dernière connexion"),
    (REFERENT_EMAIL, "/administration/journal/", "events-title", "Modifications"),
]


@pytest.fixture
def demo_world(reference_data):
    call_command("seed_demo", force=True, verbosity=0)


def check(page: Page) -> None:
    assert_accessible(page)
    assert_no_csp_violation(page)


def sign_in(page: Page, email: str) -> None:
    page.goto("/connexion/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)
    if "/charte/" in page.url:
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/charte/" not in url)


def header_text(header: Locator) -> str:
    # A sorted column's header ends with its arrow.
    return header.inner_text().replace("▲", "").replace("▼", "").strip()


def assert_no_page_overflow(page: Page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


def assert_every_column_reachable(page: Page, region: Locator, last_header: str) -> None:
    """Each column fits, or is reached by scrolling the table's region (by keyboard too), or,
    at 320 px, is a labelled line of each row's card."""
    assert_no_page_overflow(page)
    width = page.evaluate("window.innerWidth")
    table = region.locator("table")
    headers = table.locator("thead th")
    assert header_text(headers.last) == last_header
    first_row = table.locator("tbody tr").first
    if first_row.evaluate("row => getComputedStyle(row).display") == "block":
        # One card per row: every cell within the page, named by its column's header.
        labels = [header_text(header) for header in headers.all()]
        cells = first_row.locator("td")
        assert cells.count() == len(labels)
        for label, cell in zip(labels, cells.all(), strict=True):
            box = cell.bounding_box()
            assert box is not None
            assert box["x"] >= 0, (label, box)
            assert box["x"] + box["width"] <= width + 1, (label, box)
            assert cell.get_attribute("data-label") == label or not label
        expect(cells.last).to_be_visible()
        return
    scroll_width, client_width = region.evaluate("e => [e.scrollWidth, e.clientWidth]")
    # The region's scrollable width covers the last column.
    last_right = region.evaluate(
        """region => {
          const header = region.querySelector('thead tr > th:last-child');
          return header.getBoundingClientRect().right - region.getBoundingClientRect().left
            + region.scrollLeft;
        }"""
    )
    assert last_right <= scroll_width + 1, (last_right, scroll_width)
    # The hint says so exactly when the table overflows.
    hint = page.locator(".table-scroll", has=region).locator(".table-scroll__hint")
    overflows = scroll_width > client_width + 1
    if overflows:
        expect(hint).to_be_visible()
    else:
        expect(hint).to_be_hidden()
    if overflows:
        # The arrow keys scroll the focused region.
        region.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("region => region.scrollLeft > 0", arg=region.element_handle())
        # The arrow's scroll is smooth: let it end before scrolling further.
        region.evaluate(SCROLL_END)
        region.evaluate("region => { region.scrollLeft = region.scrollWidth; }")
        page.wait_for_function(
            "region => region.scrollLeft + region.clientWidth >= region.scrollWidth - 1",
            arg=region.element_handle(),
        )
    region_box = region.bounding_box()
    last_box = headers.last.bounding_box()
    assert region_box is not None
    assert last_box is not None
    # The last column's header is now in view: inside its region and the window.
    assert last_box["x"] >= region_box["x"] - 1
    assert last_box["x"] + last_box["width"] <= region_box["x"] + region_box["width"] + 1
    assert last_box["x"] + last_box["width"] <= width + 1
    expect(headers.last).to_be_visible()
    region.evaluate("region => { region.scrollLeft = 0; }")


def assert_prints_every_column(page: Page, region: Locator, last_header: str) -> None:
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINT_WIDTH, "height": 794})
    try:
        expect(page.locator(".site-header")).to_be_hidden()
        expect(page.locator(".site-footer")).to_be_hidden()
        for hidden in page.locator(
            "main .search-form, main .pager, main .button, .table-scroll__hint"
        ).all():
            expect(hidden).to_be_hidden()
        headers = region.locator("table thead th")
        expect(headers.last).to_be_visible()
        assert header_text(headers.last) == last_header
        assert_no_page_overflow(page)
        box = headers.last.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= PRINT_WIDTH + 1, box
        # The whole table, not its region's visible part.
        sizes = region.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert sizes[0] <= sizes[1] + 1, sizes
        check(page)
    finally:
        page.emulate_media(media="screen")
    # The printed pages are landscape (app.css's @page).
    media_box = MEDIA_BOX.search(page.pdf(prefer_css_page_size=True))
    assert media_box is not None
    assert float(media_box.group(1)) > float(media_box.group(2))


@pytest.mark.parametrize(("email", "url", "title_id", "last_header"), TABLES)
def test_every_column_is_reachable_on_screen_and_printed(
    page: Page, demo_world, email, url, title_id, last_header
):
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    sign_in(page, email)
    page.goto(url)
    region = page.locator(f"div.table-wrap[role=region][aria-labelledby={title_id}]")
    expect(region).to_have_attribute("tabindex", "0")
    expect(region.locator("table tbody tr").first).to_be_attached()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_every_column_reachable(page, region, last_header)
        check(page)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    assert_prints_every_column(page, region, last_header)


def test_the_review_table_scrolls_in_its_region_when_it_overflows(page: Page, demo_world):
    """At 1024 px the demo hospital's review table is wider than the page: it scrolls inside its
    region, with the hint, and the page does not."""
    page.set_viewport_size({"width": 1024, "height": 900})
    sign_in(page, DIRECTOR_EMAIL)
    page.goto("/administration/revue/")
    region = page.locator("div.table-wrap[role=region][aria-labelledby=habilitations-title]")
    scroll_width, client_width = region.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll_width > client_width
    expect(page.locator(".table-scroll__hint")).to_be_visible()
    assert_every_column_reachable(page, region, "Charte")
    # Scrolled to its end, then the window widened: the same table fits, the hint goes.
    region.evaluate("region => { region.scrollLeft = region.scrollWidth; }")
    region.evaluate(SCROLL_END)
    page.set_viewport_size({"width": 1600, "height": 900})
    expect(page.locator(".table-scroll__hint")).to_be_hidden()
    assert_every_column_reachable(page, region, "Charte")


def test_the_review_table_finds_people_by_name_without_javascript(
    page_without_js: Page, demo_world
):
    page = page_without_js
    sign_in(page, DIRECTOR_EMAIL)
    page.goto("/administration/revue/")
    page.locator("#id_q").fill("ROUQUETTE")
    page.locator("main form.search-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"[?&]q=ROUQUETTE"))
    rows = page.locator("table.stack tbody tr")
    expect(rows.first).to_be_visible()
    names = [text.split("\n")[0] for text in rows.locator("td:first-child").all_inner_texts()]
    assert names
    assert all(name.startswith("ROUQUETTE ") for name in names), names
    # The export and the sort links carry the search.
    expect(page.locator("main a[download][href*='export.csv']")).to_have_attribute(
        "href", re.compile(r"[?&]q=ROUQUETTE")
    )
    for link in page.locator("table.stack thead th a").all():
        assert "q=ROUQUETTE" in (link.get_attribute("href") or "")
