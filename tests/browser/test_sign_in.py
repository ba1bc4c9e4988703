"""A tenant admin signs in on the demo store, looks around the dashboard and signs out."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from blueprints.areas import DASHBOARD_AREAS

pytestmark = [pytest.mark.browser, pytest.mark.committing]

SCREENSHOT = "/tmp/browser-dashboard.png"


def test_admin_signs_in_browses_the_dashboard_and_signs_out(page, live_server, demo_data):
    page.goto(live_server.url("demo", "/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill("admin@demo.example")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(live_server.url("demo", "/dashboard/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Demo Editions admin")
    expect(page).to_have_title(re.compile(r"Demo Editions"))
    sidebar = page.get_by_role("navigation", name="Dashboard")
    expect(sidebar.get_by_role("link")).to_have_text(
        ["Overview", *(area.title for area in DASHBOARD_AREAS)]
    )
    expect(sidebar.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    expect(page.locator("header.topbar")).to_contain_text("admin@demo.example")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert set(cookies) == {"tenant_demo"}  # one host-only, HttpOnly, Lax cookie per tenant
    assert cookies["tenant_demo"]["domain"] == "demo.localhost"
    assert cookies["tenant_demo"]["httpOnly"] is True
    assert cookies["tenant_demo"]["sameSite"] == "Lax"
    page.screenshot(path=SCREENSHOT, full_page=True)

    sidebar.get_by_role("link", name="Orders").click()
    page.wait_for_url(live_server.url("demo", "/dashboard/orders"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders")
    expect(page.locator("#orders-filters")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Orders")).to_have_attribute("aria-current", "page")

    sidebar.get_by_role("link", name="Analytics").click()
    page.wait_for_url(live_server.url("demo", "/dashboard/analytics"))
    expect(page.locator("#not-available")).to_contain_text("Not available yet")
    expect(sidebar.get_by_role("link", name="Analytics")).to_have_attribute("aria-current", "page")

    page.goto(live_server.url("demo", "/logout"))
    expect(page.get_by_role("heading", name="Sign out")).to_be_visible()
    page.locator("main").get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url("demo", "/login"))

    response = page.goto(live_server.url("demo", "/dashboard/"))
    assert response is not None and response.ok
    landed = urlsplit(page.url)
    assert (landed.netloc, landed.path) == (f"demo.localhost:{live_server.port}", "/login")
    assert parse_qs(landed.query) == {"next": ["/dashboard/"]}
    assert response.request.redirected_from is not None
    assert response.request.redirected_from.url == live_server.url("demo", "/dashboard/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_wrong_password_keeps_the_visitor_on_the_login_page(page, live_server, demo_data):
    page.goto(live_server.url("demo", "/login"))
    page.get_by_label("Email").fill("admin@demo.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    assert page.url == live_server.url("demo", "/login")
    page.goto(live_server.url("demo", "/dashboard/"))
    assert urlsplit(page.url).path == "/login"
