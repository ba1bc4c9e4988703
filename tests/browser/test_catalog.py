"""A reader browses the demo store's shelves, filters the library and searches; an admin edits
a publication and the store shows the change at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from services.seed_catalog_data import generate

pytestmark = [pytest.mark.browser, pytest.mark.committing]

SCREENSHOT = "/tmp/browser-catalog.png"
SEARCH_WORD = "archive"  # only "The Winter Archive" of the demo catalogue has it
SEARCHED_TITLE = "The Winter Archive"
EDITED_TITLE = "The Quiet Republic"  # history, 5.00 USD, live, not physical
NEW_TITLE = "The Quiet Republic: Marginalia Edition"


@pytest.fixture(autouse=True)
def _reader_user_agent(page):
    """Present the page as desktop Chrome, as a reader's browser does: crawlerdetect reads
    "HeadlessChrome" as a bot, and the crawler gate then hides storefront search (spec 20 §7)."""
    version = page.context.browser.version
    page.set_extra_http_headers(
        {
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
            f"(KHTML, like Gecko) Chrome/{version} Safari/537.36"
        }
    )


def _sign_in(page, live_server, email: str) -> None:
    page.goto(live_server.url("demo", "/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()


def _fiction_a_reader_sees() -> set[str]:
    """The demo catalogue's fiction as a plain reader of the demo store sees it, worked out from
    the seed material rather than the app: live (published, not scheduled), outside the
    restricted members' collection; printed titles too (demo's enterprise plan sells them)."""
    now = datetime.now(UTC)
    return {
        item.title
        for item in generate("demo")
        if ("category", "fiction") in item.terms
        and item.published_at is not None
        and item.published_at <= now
        and ("collection", "members-library") not in item.terms
    }


def test_reader_browses_shelves_filters_the_library_and_searches(page, live_server, demo_data):
    fiction = _fiction_a_reader_sees()
    assert len(fiction) > 3  # enough cards for the filter to mean something
    _sign_in(page, live_server, "reader@demo.example")
    page.wait_for_url(live_server.url("demo", "/"))
    expect(page.locator("header.topbar")).to_contain_text("reader@demo.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demo Editions")

    # The first five of the six demo shelves, each with cards; the Fiction one holds only fiction.
    expect(page.locator("#shelves .shelf h2")).to_have_text(
        ["New this month", "Fiction", "Free to read", "Essentials", "Cooking"]
    )
    for shelf in page.locator("#shelves .shelf").all():
        expect(shelf.locator(".pub-card").first).to_be_visible()
    expect(page.get_by_role("link", name="More shelves")).to_be_visible()
    shelf_titles = page.get_by_role("region", name="Fiction", exact=True).locator(".pub-title")
    assert set(shelf_titles.all_inner_texts()) <= fiction

    page.locator("header.topbar nav").get_by_role("link", name="Library").click()
    page.wait_for_url(live_server.url("demo", "/library/filter"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Library")
    category = page.get_by_role("complementary", name="Filters").locator(
        "section.facet", has=page.get_by_role("heading", name="Category", exact=True)
    )
    with page.expect_response(lambda r: "category=fiction" in r.url) as filtered:
        category.get_by_role("link", name="Fiction", exact=True).click()
    assert filtered.value.request.headers.get("hx-request") == "true"
    expect(page).to_have_url(re.compile(r"/library/filter\?(.*&)?category=fiction(&|$)"))
    expect(page.get_by_role("list", name="Active filters")).to_contain_text("Fiction")
    expect(category.get_by_role("link", name="Fiction", exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    titles = page.locator("#results .pub-grid .pub-card .pub-title")
    expect(titles).to_have_count(len(fiction))
    assert set(titles.all_inner_texts()) == fiction
    page.screenshot(path=SCREENSHOT, full_page=True)

    opened = titles.first.inner_text()
    titles.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(opened)
    expect(page).to_have_url(re.compile(r"/publications/[0-9a-f-]{36}$"))
    expect(page.get_by_role("list", name="Topics").get_by_role("link")).to_contain_text(["Fiction"])

    box = page.get_by_role("searchbox", name="Search the store")
    with page.expect_response(lambda r: f"/library/search?q={SEARCH_WORD}" in r.url) as searched:
        box.press_sequentially(SEARCH_WORD)
    assert searched.value.request.headers.get("hx-request") == "true"
    preview = page.locator("#search-results")
    expect(preview).to_be_visible()
    expect(preview.locator(".search-hit strong")).to_have_text([SEARCHED_TITLE])

    preview.get_by_role("link", name="See all results").click()
    expect(page).to_have_url(live_server.url("demo", f"/library/filter?q={SEARCH_WORD}"))
    expect(page.locator(".library-query")).to_have_text(f"Results for “{SEARCH_WORD}”")
    expect(page.locator("#results .pub-card .pub-title")).to_have_text([SEARCHED_TITLE])


def test_admin_edits_a_publication_and_the_store_shows_it(page, live_server, demo_data):
    _sign_in(page, live_server, "admin@demo.example")
    page.wait_for_url(live_server.url("demo", "/dashboard/"))
    page.goto(live_server.url("demo", "/dashboard/publications"))
    rows = page.locator("#publications-table tbody tr")
    expect(rows).to_have_count(25)

    with page.expect_response(lambda r: "/dashboard/publications?" in r.url and "q=Quiet" in r.url):
        page.get_by_role("searchbox", name="Search", exact=True).press_sequentially("Quiet")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(EDITED_TITLE)
    expect(rows.first).to_contain_text("5.00")
    expect(page).to_have_url(re.compile(r"/dashboard/publications\?(.*&)?q=Quiet(&|$)"))
    uuid = rows.first.get_attribute("id").removeprefix("publication-")
    store_page = live_server.url("demo", f"/publications/{uuid}")
    store_search = live_server.url("demo", "/library/filter?q=quiet")

    # The store pages as they were, so a cached copy of them exists before the edit.
    admin_tab = page.url
    page.goto(store_page)
    expect(page.get_by_role("heading", level=1)).to_have_text(EDITED_TITLE)
    expect(page.get_by_role("list", name="Price")).to_have_text("$5.00")
    page.goto(store_search)
    expect(page.locator("#results .pub-card .pub-title")).to_have_text([EDITED_TITLE])
    page.goto(admin_tab)

    rows.first.get_by_role("link", name="Edit").click()
    page.wait_for_url(live_server.url("demo", f"/dashboard/publications/{uuid}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(EDITED_TITLE)
    form = page.locator("#publication-form")
    expect(form.get_by_label("Price (USD)")).to_have_value("5.00")
    form.get_by_label("Title", exact=True).fill(NEW_TITLE)
    form.get_by_label("Price (USD)").fill("17.50")
    form.get_by_role("button", name="Save", exact=True).click()

    # Saved: the edit page again, in the dashboard layout, with the new values and the toast.
    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_TITLE)
    expect(page.get_by_role("navigation", name="Dashboard")).to_be_visible()
    expect(page.locator("#toasts")).to_contain_text("Publication saved.")
    expect(page.locator("#publication-form").get_by_label("Price (USD)")).to_have_value("17.50")
    assert page.url == live_server.url("demo", f"/dashboard/publications/{uuid}")

    page.goto(store_page)
    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_TITLE)
    expect(page).to_have_title(re.compile(re.escape(NEW_TITLE)))
    expect(page.get_by_role("list", name="Price")).to_have_text("$17.50")
    page.goto(store_search)
    card = page.locator("#results .pub-card")
    expect(card.locator(".pub-title")).to_have_text([NEW_TITLE])
    expect(card.locator(".pub-price")).to_have_text(["$17.50"])
    page.goto(live_server.url("demo", "/library/filter?q=marginalia"))
    expect(page.locator("#results .pub-card .pub-title")).to_have_text([NEW_TITLE])
