"""Platform staff find a tenant with the active search, suspend it and reactivate it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.committing]

SCREENSHOT = "/tmp/browser-tenant.png"


def _store_status(page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    return response.status


def test_staff_suspends_and_reactivates_a_tenant(page, visitor_page, live_server, demo_data):
    page.on("dialog", lambda dialog: dialog.accept())
    store = visitor_page
    acme = live_server.url("acme", "/")
    assert _store_status(store, acme) == 200

    page.goto(live_server.url("app", "/platform/login"))
    page.get_by_label("Email").fill("staff@example.com")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url("app", "/platform/tenants"))
    rows = page.locator("#tenant-rows tbody tr")
    expect(rows).to_have_count(3)

    with page.expect_response(lambda r: "/platform/tenants?" in r.url) as searched:
        page.get_by_role("searchbox", name="Search").press_sequentially("acm")
    assert searched.value.request.headers.get("hx-request") == "true"
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Acme Press")
    expect(rows.first).to_contain_text("acme.localhost")
    expect(page).to_have_url(live_server.url("app", "/platform/tenants?q=acm&status="))

    rows.first.get_by_role("link", name="Acme Press").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme Press")
    badge = page.locator("#tenant-status")
    expect(badge).to_have_text("trial")
    detail_url = page.url

    page.locator("#suspend-form textarea").fill("Unpaid invoices since March")
    page.locator("#suspend-form").get_by_role("button", name="Suspend").click()
    expect(badge).to_have_text("suspended")
    expect(page.locator("#toasts")).to_contain_text("Tenant suspended.")
    assert page.url == detail_url
    expect(page.locator("#overview")).to_contain_text("Unpaid invoices since March")
    assert _store_status(store, acme) == 403
    expect(store.get_by_role("heading", level=1)).to_have_text(
        "This store is temporarily unavailable"
    )
    expect(store.locator("body")).not_to_contain_text("Unpaid invoices")

    page.locator("#reactivate-form textarea").fill("Invoices paid in full")
    page.locator("#reactivate-form select").select_option("active")
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.locator("#reactivate-form").get_by_role("button", name="Reactivate").click()
    expect(badge).to_have_text("active")
    expect(page.locator("#suspend-form")).to_be_visible()
    assert _store_status(store, acme) == 200
    expect(store.get_by_role("heading", level=1)).to_have_text("Acme Press")


def _sign_in_as_staff(page, live_server):
    page.goto(live_server.url("app", "/platform/login"))
    page.get_by_label("Email").fill("staff@example.com")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url("app", "/platform/tenants"))


def test_suspending_without_a_reason_shows_an_error(page, live_server, demo_data):
    page.on("dialog", lambda dialog: dialog.accept())
    _sign_in_as_staff(page, live_server)
    page.get_by_role("link", name="Demo Editions").click()
    expect(page.locator("#tenant-status")).to_have_text("active")

    # Past the browser's own minlength check: the server must refuse a short reason too.
    page.locator("#suspend-form textarea").evaluate("el => el.removeAttribute('minlength')")
    page.locator("#suspend-form textarea").fill("no")
    page.locator("#suspend-form").get_by_role("button", name="Suspend").click()
    expect(page.locator("#status-error")).to_contain_text("Give a reason of 5 to 500 characters.")
    expect(page.locator("#tenant-status")).to_have_text("active")


def test_staff_creates_a_tenant_with_the_live_slug_check(page, live_server, demo_data):
    _sign_in_as_staff(page, live_server)
    # A full load, so htmx has processed the form before the first keystroke.
    page.goto(live_server.url("app", "/platform/tenants/new"))
    slug = page.get_by_label("Slug")
    with page.expect_response(lambda r: "/platform/tenants/slug-check" in r.url):
        slug.press_sequentially("admin")
    expect(page.locator("#slug-check")).to_have_text("This address is reserved.")
    slug.fill("")
    with page.expect_response(lambda r: "slug=fresh-press" in r.url):
        slug.press_sequentially("fresh-press")
    expect(page.locator("#slug-check")).to_have_text("fresh-press.localhost is available.")
    page.get_by_label("Name", exact=True).fill("Fresh Press")
    page.get_by_label("First admin email").fill("owner@fresh.example")
    page.get_by_role("button", name="Create tenant").click()
    created = page.locator("#tenant-created")
    expect(created).to_contain_text("Fresh Press created")
    expect(created.locator("code")).to_contain_text(
        "http://fresh-press.localhost:5000/password/reset/"
    )
    assert _store_status(page, live_server.url("fresh-press", "/")) == 200
