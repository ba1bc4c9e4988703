"""The kill-switch panel (spec 20 §11.5, §6.3, §6.4): the table and its fragment, the toggle
dialog, 422/409 answers, the environment's force-off, schedules, history and who may use it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.activity import Activity
from app.models.base import utcnow
from app.models.features import ConfigVersion, KillSwitch, KillSwitchEvent, KillSwitchSchedule
from services import activity, platform
from services.features import kill_switches
from services.features.switches import board
from tests.functional.conftest import PLATFORM_HOST, host_of, in_platform, text
from tests.support.hosts import HostClient

PANEL = "/platform/kill-switches"
HX = {"HX-Request": "true"}
REASON = "search cluster is overloaded"
NAME = "storefront_search"


def switch_row(app, name: str = NAME) -> KillSwitch:
    with app.app_context():
        return db.session.scalar(select(KillSwitch).where(KillSwitch.name == name))


def switch_version(app) -> int:
    with app.app_context():
        query = select(ConfigVersion.version).where(ConfigVersion.name == "kill_switches")
        return db.session.scalar(query)


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def switch_activity(app) -> list[Activity]:
    with app.app_context():
        query = select(Activity).where(Activity.action.startswith("kill_switch."))
        return list(db.session.scalars(query.order_by(Activity.id)))


def dialog_fields(client, name: str = NAME, action: str = "toggle") -> dict:
    """What the dialog's hidden fields carry, read from the fragment the panel loads."""
    html = text(client.get(f"{PANEL}/{name}/{action}", headers=HX))
    hidden = r'name="(csrf_token|target|expected_updated_at)"[^>]*value="([^"]*)"'
    return dict(re.findall(hidden, html))


def post_toggle(client, name: str = NAME, fields: dict | None = None, headers=HX, **data):
    form = {**(fields or dialog_fields(client, name)), **data}
    return client.post(f"{PANEL}/{name}/toggle", data=form, headers=headers)


def service_toggle(app, name: str, enabled: bool, reason: str = REASON):
    with in_platform(app):
        kill_switches.toggle_switch(activity.Actor(label="ops@example.com"), name, enabled, reason)


# -- the panel ---------------------------------------------------------------------------------


def test_panel_page_and_fragment(staff):
    page = staff.get(PANEL)
    fragment = staff.get(PANEL, headers=HX)
    for response in (page, fragment):
        assert response.status_code == 200
        assert "HX-Request" in response.headers["Vary"]
        body = text(response)
        assert 'id="switch-rows"' in body and 'hx-trigger="every 10s"' in body
        assert 'id="switch-storefront_search"' in body and 'id="switch-payment_sync"' in body
        assert "This web process holds switch version" in body
    assert "<html" in text(page) and "<html" not in text(fragment)
    # The dialog region sits outside the refreshing table, so a poll never closes it.
    assert text(page).index('id="switch-dialog"') < text(page).index('id="switch-rows"')
    assert 'id="switch-dialog"' not in text(fragment)
    assert "Kill switches" in text(staff.get("/platform/tenants"))  # the sidebar links here


def test_the_toggle_dialog_says_what_changes_and_what_it_affects(staff, make_tenant):
    make_tenant(slug="alpha")
    make_tenant(slug="beta")
    fragment = staff.get(f"{PANEL}/{NAME}/toggle", headers=HX)
    body = text(fragment)
    assert fragment.status_code == 200 and "<html" not in body
    assert 'id="switch-dialog"' in body and "On → Off" in body
    assert "storefront search for all 2 tenants" in body
    assert 'name="expected_updated_at"' in body and 'name="reason"' in body
    assert 'name="run_at"' in body  # "turn back on at" is offered when turning off
    job = text(staff.get(f"{PANEL}/payment_sync/toggle", headers=HX))
    assert "job payment_sync" in job
    page = staff.get(f"{PANEL}/{NAME}/toggle")  # without JavaScript: the panel with it open
    assert "<html" in text(page) and "On → Off" in text(page) and 'id="switch-rows"' in text(page)


def test_toggle_without_a_reason_is_422_and_changes_nothing(staff, app):
    version = switch_version(app)
    for reason in ("", "too short"):
        response = post_toggle(staff, reason=reason)
        assert response.status_code == 422
        assert "Give a reason of 10 to 500 characters." in text(response)
        assert 'id="switch-dialog"' in text(response)
    assert switch_row(app).enabled
    assert count(app, KillSwitchEvent) == 0 and switch_activity(app) == []
    assert switch_version(app) == version


def test_toggle_with_a_reason_changes_everything_in_one_commit(staff, staff_user, app):
    version = switch_version(app)
    response = post_toggle(staff, reason=REASON)
    assert response.status_code == 200
    assert '"storefront_search is OFF"' in response.headers["HX-Trigger"]
    body = text(response)
    assert '<div id="switch-dialog"></div>' in body  # the dialog closes
    assert 'id="switch-rows"' in body and 'hx-swap-oob="true"' in body
    assert "Turn on" in body and staff_user.email in body
    row = switch_row(app)
    assert (row.enabled, row.reason, row.updated_by) == (False, REASON, staff_user.id)
    assert row.updated_by_label == staff_user.email
    with app.app_context():
        (event,) = db.session.scalars(select(KillSwitchEvent)).all()
    assert (event.from_enabled, event.to_enabled, event.source) == (True, False, "ui")
    assert (event.actor_id, event.reason) == (staff_user.id, REASON)
    (entry,) = switch_activity(app)
    assert (entry.action, entry.subject_id, entry.actor_id) == (
        "kill_switch.turned_off",
        NAME,
        staff_user.id,
    )
    assert entry.before == {"enabled": True, "reason": None}
    assert entry.after == {"enabled": False, "reason": REASON}
    assert switch_version(app) == version + 1
    with app.app_context():
        assert platform.enabled(NAME) is False  # this process already holds the new state


def test_a_plain_post_redirects_to_the_panel(staff, app):
    response = post_toggle(staff, headers={}, reason=REASON)
    assert response.status_code == 303 and response.headers["Location"] == PANEL
    assert "storefront_search is OFF" in text(staff.get(PANEL))
    assert not switch_row(app).enabled


def test_the_second_of_two_staff_gets_409_naming_the_first(
    staff, staff_user, make_user, signed_in, app
):
    second = signed_in(PLATFORM_HOST, make_user(email="second@example.com").email)
    stale = dialog_fields(second)
    assert post_toggle(staff, reason=REASON).status_code == 200
    response = post_toggle(second, fields=stale, reason="turning it off for maintenance")
    assert response.status_code == 409
    body = text(response)
    assert f"Changed by {staff_user.email} at" in body and "review and retry" in body
    assert "Off → On" in body  # the dialog now shows what is there
    assert switch_row(app).reason == REASON
    assert count(app, KillSwitchEvent) == 1


def test_already_in_the_target_state_is_422(staff, app):
    service_toggle(app, NAME, False)
    fields = {**dialog_fields(staff), "target": "off"}
    response = post_toggle(staff, fields=fields, reason=REASON)
    assert response.status_code == 422 and "already off" in text(response)
    assert count(app, KillSwitchEvent) == 1


def test_turn_off_with_turn_back_on_at(staff, app):
    at = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    response = post_toggle(staff, reason=REASON, run_at=at.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 200
    with app.app_context():
        (pending,) = db.session.scalars(select(KillSwitchSchedule)).all()
    assert (pending.status, pending.target_enabled, pending.run_at) == ("pending", True, at)
    actions = [a.action for a in switch_activity(app)]
    assert actions == ["kill_switch.turned_off", "kill_switch.schedule_created"]
    assert f"Turn on at {at:%Y-%m-%d %H:%M} UTC" in text(staff.get(PANEL))


def test_turn_back_on_out_of_range_is_422(staff, app):
    too_far = (utcnow() + timedelta(days=31)).strftime("%Y-%m-%dT%H:%M")
    response = post_toggle(staff, reason=REASON, run_at=too_far)
    assert response.status_code == 422
    assert "Pick a time 1 minute to 30 days ahead (UTC)." in text(response)
    assert switch_row(app).enabled and count(app, KillSwitchSchedule) == 0


# -- the environment ---------------------------------------------------------------------------


@pytest.fixture
def forced_app(monkeypatch, other_app):
    """An app built with FEATURE_CONTROL_* in its environment, which services/features/wiring.py
    reads once at start (the board is process-wide, so the test restores it)."""
    saved = board.forced_off
    monkeypatch.setenv("FEATURE_CONTROL_STOREFRONT_SEARCH", "false")
    monkeypatch.setenv("FEATURE_CONTROL_PAYMENT_SYNC", "FALSE ")
    monkeypatch.setenv("FEATURE_CONTROL_ANALYTICS_INGESTION", "maybe")
    try:
        yield other_app()
    finally:
        board.forced_off = saved


def panel_row(body: str, name: str) -> str:
    row = body[body.index(f'id="switch-{name}"') :]
    return row[: row.index("</tr>")]


def test_the_environment_forced_rows_say_so(forced_app, staff_user):
    client = HostClient(forced_app.test_client(), PLATFORM_HOST)
    assert client.login(staff_user.email, path="/platform/login").status_code == 303
    body = text(client.get(PANEL, headers=HX))
    for name in (NAME, "payment_sync"):
        row = panel_row(body, name)
        assert "Off — forced by environment" in row
        assert "the environment keeps this off; database changes take effect" in row
        assert "<td>On</td>" in row  # the database still says on
    unforced = panel_row(body, "analytics_ingestion")  # "maybe" forces nothing
    assert ">On</span>" in unforced and "forced by environment" not in unforced
    dialog = text(client.get(f"{PANEL}/{NAME}/toggle", headers=HX))
    assert "forced off: the environment keeps this off" in dialog
    with forced_app.app_context():
        assert platform.enabled(NAME) is False and platform.enabled("payment_sync") is False
        assert platform.enabled("analytics_ingestion") is True


# -- schedules ---------------------------------------------------------------------------------


def test_schedule_create_and_cancel(staff, app):
    dialog = staff.get(f"{PANEL}/payment_sync/schedule", headers=HX)
    assert dialog.status_code == 200 and 'name="run_at"' in text(dialog)
    token = staff.csrf(PANEL)
    at = (utcnow() + timedelta(hours=3)).replace(second=0, microsecond=0)
    data = {"csrf_token": token, "target": "off", "reason": "provider maintenance window"}
    bad = staff.post(
        f"{PANEL}/payment_sync/schedule",
        data={**data, "run_at": utcnow().strftime("%Y-%m-%dT%H:%M")},
        headers=HX,
    )
    assert bad.status_code == 422 and "1 minute to 30 days ahead" in text(bad)
    data["run_at"] = at.strftime("%Y-%m-%dT%H:%M")
    created = staff.post(f"{PANEL}/payment_sync/schedule", data=data, headers=HX)
    assert (
        created.status_code == 200 and "payment_sync turns off at" in created.headers["HX-Trigger"]
    )
    with app.app_context():
        (pending,) = db.session.scalars(select(KillSwitchSchedule)).all()
    assert (pending.status, pending.run_at, pending.target_enabled) == ("pending", at, False)
    again = staff.post(f"{PANEL}/payment_sync/schedule", data=data, headers=HX)
    assert again.status_code == 422 and "cancel it first" in text(again)

    cancel = f"{PANEL}/payment_sync/schedules/{pending.id}/cancel"
    assert cancel in text(staff.get(PANEL))
    assert staff.get(cancel, headers=HX).status_code == 200
    refused = staff.post(cancel, data={"csrf_token": token, "reason": ""}, headers=HX)
    assert refused.status_code == 422 and "Give a reason" in text(refused)
    done = staff.post(
        cancel, data={"csrf_token": token, "reason": "window moved a week"}, headers=HX
    )
    assert done.status_code == 200
    with app.app_context():
        assert db.session.get(KillSwitchSchedule, pending.id).status == "cancelled"
    actions = [a.action for a in switch_activity(app)]
    assert actions == ["kill_switch.schedule_created", "kill_switch.schedule_cancelled"]
    assert staff.get(cancel, headers=HX).status_code == 404  # nothing pending any more


# -- history -----------------------------------------------------------------------------------


def test_history_page_and_fragment(staff, app, staff_user):
    assert (
        post_toggle(staff, name="payment_sync", reason="gateway outage at the bank").status_code
        == 200
    )
    with in_platform(app):
        at = utcnow() + timedelta(hours=1)
        kill_switches.create_schedule(
            activity.Actor.for_user(staff_user), "payment_sync", True, at, "bank is back by then"
        )
    page = staff.get(f"{PANEL}/payment_sync")
    fragment = staff.get(f"{PANEL}/payment_sync", headers=HX)
    for response in (page, fragment):
        assert response.status_code == 200 and 'id="switch-history"' in text(response)
        body = text(response)
        assert "On → Off" in body and "gateway outage at the bank" in body
        assert staff_user.email in body and "<td>ui</td>" in body
        assert "Schedule: turn on at" in body and "pending" in body
        # newest first: the schedule came after the toggle
        assert body.index("Schedule: turn on at") < body.index("On → Off")
    assert "<html" in text(page) and "<html" not in text(fragment)


def test_history_is_paginated(staff, app):
    for n in range(26):
        service_toggle(app, "ipn_processing", False, f"{REASON} #{n}")
        service_toggle(app, "ipn_processing", True, f"{REASON} back #{n}")
    first = text(staff.get(f"{PANEL}/ipn_processing"))
    assert "Page 1 of 2 (52)" in first and f"{REASON} back #25" in first
    second = text(staff.get(f"{PANEL}/ipn_processing?page=2", headers=HX))
    assert f"{REASON} #0<" in second and f"{REASON} back #25" not in second


# -- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{PANEL}/payment_synk",
        f"{PANEL}/payment_synk/toggle",
        f"{PANEL}/payment_synk/schedule",
        f"{PANEL}/payment_sync/schedules/999/cancel",
    ],
)
def test_unknown_switch_is_404(staff, path):
    assert staff.get(path).status_code == 404


def test_unknown_switch_post_is_404(staff):
    token = staff.csrf(PANEL)
    response = staff.post(f"{PANEL}/payment_synk/toggle", data={"csrf_token": token})
    assert response.status_code == 404


def test_tenant_admins_never_reach_it(make_tenant, make_user, signed_in, host_client, app):
    alpha = make_tenant(slug="alpha")
    admin = make_user(tenant=alpha, admin=True, email="owner@alpha.example")
    tenant_side = signed_in(host_of(alpha), admin.email)
    assert tenant_side.get(PANEL).status_code == 404
    platform_side = host_client(PLATFORM_HOST)
    assert platform_side.login(admin.email, path="/platform/login").status_code != 303
    response = platform_side.get(PANEL)
    assert response.status_code == 302 and response.headers["Location"].startswith(
        "/platform/login"
    )
    assert switch_row(app).enabled
