"""`flask kill-switch list|off|on` (spec 20 §12, §15 item 43): same services and rows as the UI,
actor `cli:<OS user>`, source `cli`."""

from __future__ import annotations

import getpass
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.activity import Activity
from app.models.base import utcnow
from app.models.features import KillSwitch, KillSwitchEvent, KillSwitchSchedule
from services import platform

CLI_ACTOR = f"cli:{getpass.getuser()}"


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["kill-switch", *args])


def run(app, *args) -> str:
    result = invoke(app, *args)
    assert result.exit_code == 0, result.output
    return result.output


def line_of(output: str, name: str) -> list[str]:
    (line,) = [row for row in output.splitlines() if row.startswith(name + " ")]
    return line.split()


def test_off_behaves_like_the_ui(app):
    out = run(app, "off", "payment_sync", "--reason", "gateway outage")
    assert "payment_sync is OFF" in out
    with app.app_context():
        switch = db.session.scalar(select(KillSwitch).where(KillSwitch.name == "payment_sync"))
        assert (switch.enabled, switch.reason, switch.updated_by_label) == (
            False,
            "gateway outage",
            CLI_ACTOR,
        )
        (event,) = db.session.scalars(select(KillSwitchEvent)).all()
        assert (event.source, event.actor_label, event.actor_id) == ("cli", CLI_ACTOR, None)
        (entry,) = db.session.scalars(
            select(Activity).where(Activity.action.startswith("kill_switch."))
        ).all()
        assert (entry.action, entry.actor_label, entry.subject_id) == (
            "kill_switch.turned_off",
            CLI_ACTOR,
            "payment_sync",
        )
        assert entry.before == {"enabled": True, "reason": None}
        assert entry.after == {"enabled": False, "reason": "gateway outage"}
        assert platform.enabled("payment_sync") is False  # propagated to this process
    assert line_of(run(app, "list"), "payment_sync")[:4] == ["payment_sync", "off", "off", "-"]

    out = run(app, "on", "payment_sync", "--reason", "gateway is back up")
    assert "payment_sync is ON" in out
    with app.app_context():
        assert platform.enabled("payment_sync") is True
        sources = db.session.scalars(select(KillSwitchEvent.source)).all()
        assert sources == ["cli", "cli"]


def test_list_shows_effective_database_and_environment_state(app):
    out = run(app, "list")
    assert out.splitlines()[0].split()[:4] == ["NAME", "EFFECTIVE", "DATABASE", "ENVIRONMENT"]
    assert line_of(out, "storefront_search")[:4] == ["storefront_search", "on", "on", "-"]
    assert "switch version: database" in out


def test_off_until_plans_the_way_back(app):
    until = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    out = run(
        app, "off", "ipn_processing", "--reason", "queue backlog", "--until", until.isoformat()
    )
    assert "turns back on at" in out
    with app.app_context():
        (pending,) = db.session.scalars(select(KillSwitchSchedule)).all()
        assert (pending.status, pending.target_enabled, pending.run_at) == ("pending", True, until)
    assert "on at" in " ".join(line_of(run(app, "list"), "ipn_processing"))


def test_unknown_name_or_bad_input_exits_non_zero_and_changes_nothing(app):
    unknown = invoke(app, "off", "payment_synk", "--reason", "gateway outage")
    assert unknown.exit_code != 0
    assert "Unknown kill switch 'payment_synk'" in unknown.output
    short = invoke(app, "off", "payment_sync", "--reason", "oops")
    assert short.exit_code == 1 and "Give a reason of 10 to 500 characters." in short.output
    bad_time = invoke(app, "off", "payment_sync", "--reason", "gateway outage", "--until", "soon")
    assert bad_time.exit_code != 0 and "not an ISO time" in bad_time.output
    too_far = (utcnow() + timedelta(days=40)).isoformat()
    out_of_range = invoke(
        app, "off", "payment_sync", "--reason", "gateway outage", "--until", too_far
    )
    assert out_of_range.exit_code == 1 and "30 days ahead" in out_of_range.output
    already = invoke(app, "on", "payment_sync", "--reason", "gateway is back up")
    assert already.exit_code == 1 and "already on" in already.output
    with app.app_context():
        assert db.session.scalars(select(KillSwitchEvent)).all() == []
        assert db.session.scalar(
            select(KillSwitch.enabled).where(KillSwitch.name == "payment_sync")
        )
