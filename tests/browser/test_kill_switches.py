"""Staff turn a kill switch off with a reason; the tenant admin's features page shows it off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.committing]

SCREENSHOT = "/tmp/browser-kill-switch.png"
REASON = "Search cluster overloaded, shedding load"


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()


def test_staff_turns_search_off_and_the_tenant_sees_it_unavailable(
    page, visitor_page, live_server, demo_data
):
    admin = visitor_page
    _sign_in(admin, live_server.url("demo", "/login"), "admin@demo.example")
    admin.wait_for_url(live_server.url("demo", "/dashboard/"))
    admin.goto(live_server.url("demo", "/dashboard/features"))
    search = admin.locator("#feature-storefront_search")
    expect(search).to_contain_text("On")

    _sign_in(page, live_server.url("app", "/platform/login"), "staff@example.com")
    page.wait_for_url(live_server.url("app", "/platform/tenants"))
    page.goto(live_server.url("app", "/platform/kill-switches"))
    row = page.locator("#switch-storefront_search")
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "on")

    row.get_by_role("link", name="Turn off").click()
    dialog = page.locator("#switch-dialog")
    expect(dialog).to_contain_text("storefront search for all")
    # Past the browser's own minlength check: the server must refuse a short reason too.
    dialog.locator("textarea").evaluate("el => el.removeAttribute('minlength')")
    dialog.locator("textarea").fill("too short")
    dialog.get_by_role("button", name="Turn off").click()
    # Wait for the 422 dialog itself: typing into the old one would be lost in the swap.
    expect(dialog.get_by_role("alert")).to_have_text("Give a reason of 10 to 500 characters.")
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "on")

    dialog.locator("textarea").fill(REASON)
    dialog.get_by_role("button", name="Turn off").click()
    expect(page.locator("#toasts")).to_contain_text("storefront_search is OFF")
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "off")
    expect(row).to_contain_text(REASON)
    expect(row).to_contain_text("staff@example.com")
    page.screenshot(path=SCREENSHOT, full_page=True)

    admin.reload()
    expect(search).to_contain_text("Temporarily unavailable")
    expect(admin.locator("body")).not_to_contain_text(REASON)
    expect(admin.locator("body")).not_to_contain_text("staff@example.com")
