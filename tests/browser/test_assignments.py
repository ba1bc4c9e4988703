"""The demo admin assigns a plan to a reader by hand, then uploads a bulk CSV and watches its
progress bar finish (spec 30 §8.1, §8.2)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from services import dispatch
from services.tenancy import tenants
from services.tenancy.context import enter_platform, reset_scope, tenant_scope
from tests.support.commerce import make_plan
from workers.tasks.names import PROCESS_BULK_IMPORT

pytestmark = [pytest.mark.browser, pytest.mark.committing]

SCREENSHOT = "/tmp/browser-assignments.png"
PLAN_NAME = "Browser Test Gold"


@pytest.fixture
def demo_plan(app, demo_data) -> str:
    """A monthly plan of the demo store nobody holds yet; returns its uuid."""
    with app.app_context():
        token = enter_platform()
        try:
            tenant_id = tenants.get_by_slug("demo").id
        finally:
            reset_scope(token)
        with tenant_scope(tenant_id):
            plan = make_plan(tenant_id, name=PLAN_NAME)
            db.session.commit()
            uuid = str(plan.uuid)
        db.session.remove()
    return uuid


@pytest.fixture
def held_imports(monkeypatch):
    """Bulk runs wait here instead of running eagerly inside the upload request, so the page
    shows a queued import until the test lets the worker go."""
    held, send = [], dispatch.send_now

    def hold(name, headers=None, **kwargs):
        if name == PROCESS_BULK_IMPORT:
            held.append((name, headers, kwargs))
            return None
        return send(name, headers=headers, **kwargs)

    monkeypatch.setattr(dispatch, "send_now", hold)
    return held, send


def _sign_in(page, live_server, email: str) -> None:
    page.goto(live_server.url("demo", "/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url("demo", "/dashboard/"))


def test_admin_assigns_by_hand_then_in_bulk(
    app, page, live_server, demo_plan, held_imports, tmp_path
):
    _sign_in(page, live_server, "admin@demo.example")
    page.locator("nav.sidebar").get_by_role("link", name="Users").click()
    page.wait_for_url(live_server.url("demo", "/dashboard/users"))
    page.get_by_role("searchbox", name="Email starts with").fill("reader@demo")
    results = page.locator("#user-results")
    # The unfiltered list also holds the reader: wait for the search to replace it.
    expect(results).not_to_contain_text("admin@demo.example")
    row = results.locator("tr", has_text="reader@demo.example")
    row.get_by_role("link", name="Plans").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plans of reader@demo.example")

    page.get_by_role("link", name="Assign", exact=True).click()
    dialog = page.locator("#plan-dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Assign to reader@demo.example")
    dialog.locator("select[name=plan]").select_option(demo_plan)
    dialog.get_by_role("textbox", name="Note").fill("Prize of the reading club")
    dialog.get_by_role("button", name="Assign").click()
    expect(page.locator("#toasts")).to_contain_text("Plan assigned.")
    row = page.locator("#user-plan-lines tr", has_text=PLAN_NAME)
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "approved")
    expect(row).to_contain_text("manual")

    csv_file = tmp_path / "club.csv"
    csv_file.write_text(
        "email;plan\n"
        + "".join(f"club{n}@demo.example;{demo_plan}\n" for n in range(5))
        + f"reader@demo.example;{demo_plan}\n"
        + "not-an-email;\n"
    )
    page.locator("nav.sidebar").get_by_role("link", name="Bulk assignments").click()
    page.wait_for_url(live_server.url("demo", "/dashboard/bulk-assignments"))
    page.locator("#bulk-upload-form input[type=file]").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and assign").click()
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-status", "queued")
    expect(page.locator("#import-bar")).to_have_attribute("value", "0")

    held, send = held_imports
    [(name, headers, kwargs)] = held
    with app.app_context():
        send(name, headers=headers, **kwargs)  # the worker picks the import up
    # The page polls every second and stops once the answer says it has finished.
    expect(progress).to_have_attribute("data-status", "completed")
    expect(page.locator("#import-bar")).to_have_attribute("value", "7")
    expect(page.locator("#import-summary")).to_contain_text("5 assigned, 1 skipped, 1 invalid.")
    expect(progress.get_by_role("link", name="Download the report")).to_be_visible()
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.goto(live_server.url("demo", "/dashboard/bulk-assignments"))
    expect(page.locator("#bulk-imports")).to_contain_text("club.csv")
    expect(page.locator("#bulk-imports [data-status]").first).to_have_attribute(
        "data-status", "completed"
    )
