"""Scheduled kill-switch changes (spec 20 §6.4, §15 item 14): turn back on at T, cancellation,
skipping, the allowed window, and the beat task that applies them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, JobRun
from app.models.base import utcnow
from app.models.features import KillSwitch, KillSwitchEvent, KillSwitchSchedule
from services import activity, platform
from services.errors import InvalidState, NotFound, ValidationError
from services.features import kill_switches

REASON = "gateway outage at the provider"
NAME = "payment_sync"


@pytest.fixture
def staff(platform, user_factory):
    user = user_factory(email="ops@example.com", name="Olivia Ops")
    return activity.Actor.for_user(user)


def switch(name: str = NAME) -> KillSwitch:
    return db.session.scalar(
        select(KillSwitch).where(KillSwitch.name == name).execution_options(populate_existing=True)
    )


def schedules(name: str = NAME) -> list[KillSwitchSchedule]:
    query = (
        select(KillSwitchSchedule)
        .join(KillSwitch)
        .where(KillSwitch.name == name)
        .order_by(KillSwitchSchedule.id)
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(query))


def events(name: str = NAME) -> list[KillSwitchEvent]:
    query = (
        select(KillSwitchEvent)
        .join(KillSwitch, KillSwitch.id == KillSwitchEvent.kill_switch_id)
        .where(KillSwitch.name == name)
        .order_by(KillSwitchEvent.id)
    )
    return list(db.session.scalars(query))


def actions(prefix: str = "kill_switch.") -> list[str]:
    query = select(Activity.action).where(Activity.action.startswith(prefix)).order_by(Activity.id)
    return list(db.session.scalars(query))


def turn_off_until(actor, hours: float = 1.0):
    at = utcnow() + timedelta(hours=hours)
    kill_switches.toggle_switch(actor, NAME, False, REASON, turn_back_on_at=at)
    db.session.commit()
    return at


def test_turn_back_on_at_t_is_applied_after_t_by_the_scheduler(staff):
    at = turn_off_until(staff)
    assert not platform.enabled(NAME)
    (pending,) = schedules()
    assert (pending.status, pending.target_enabled, pending.run_at) == ("pending", True, at)
    assert actions() == ["kill_switch.turned_off", "kill_switch.schedule_created"]

    assert kill_switches.apply_due_schedules(now=at - timedelta(seconds=1)) == {
        "applied": 0,
        "skipped": 0,
    }
    db.session.commit()
    assert not switch().enabled

    counts = kill_switches.apply_due_schedules(now=at + timedelta(seconds=1))
    db.session.commit()
    assert counts == {"applied": 1, "skipped": 0}
    row = switch()
    assert row.enabled and row.updated_by is None and row.updated_by_label == "scheduler"
    assert row.reason == f"Scheduled by Olivia Ops: {REASON}"
    assert platform.enabled(NAME)  # this process took the new snapshot after commit
    _, back_on = events()
    assert (back_on.from_enabled, back_on.to_enabled) == (False, True)
    assert (back_on.actor_label, back_on.source, back_on.actor_id) == (
        "scheduler",
        "schedule",
        None,
    )
    assert back_on.reason == row.reason
    (applied,) = schedules()
    assert applied.status == "applied" and applied.resolved_at is not None
    entry = db.session.scalar(
        select(Activity).where(Activity.action == "kill_switch.schedule_applied")
    )
    assert entry.actor_label == "scheduler" and entry.subject_id == NAME
    assert entry.before == {"enabled": False, "reason": REASON}
    assert entry.after == {"enabled": True, "reason": row.reason, "schedule_id": applied.id}
    assert actions()[-1] == "kill_switch.schedule_applied" and len(actions()) == 3


def test_a_manual_change_before_t_cancels_the_schedule(staff):
    at = turn_off_until(staff)
    kill_switches.toggle_switch(staff, NAME, True, "provider is back up again")
    db.session.commit()
    (cancelled,) = schedules()
    assert (cancelled.status, cancelled.note) == ("cancelled", "superseded by manual change")
    kill_switches.toggle_switch(staff, NAME, False, "provider failed once more")
    db.session.commit()
    assert kill_switches.apply_due_schedules(now=at + timedelta(minutes=1)) == {
        "applied": 0,
        "skipped": 0,
    }
    assert not switch().enabled  # the cancelled schedule never turns it back on


def test_a_schedule_whose_target_already_holds_is_skipped(staff):
    at = utcnow() + timedelta(hours=2)
    kill_switches.create_schedule(staff, NAME, False, at, "maintenance window of the provider")
    db.session.commit()
    # The state changed without a toggle (a manual database edit): nothing cancelled the plan.
    switch().enabled = False
    db.session.commit()
    before_events = len(events())

    counts = kill_switches.apply_due_schedules(now=at + timedelta(seconds=5))
    db.session.commit()
    assert counts == {"applied": 0, "skipped": 1}
    (skipped,) = schedules()
    assert skipped.status == "skipped" and skipped.note == f"{NAME} was already off"
    assert len(events()) == before_events
    assert actions()[-1] == "kill_switch.schedule_skipped"


@pytest.mark.parametrize(
    "ahead",
    [timedelta(seconds=30), timedelta(days=30, minutes=1), timedelta(minutes=-5)],
    ids=["too-soon", "too-far", "past"],
)
def test_run_at_out_of_range_is_refused_and_nothing_changes(staff, ahead):
    with pytest.raises(ValidationError) as refused:
        kill_switches.toggle_switch(staff, NAME, False, REASON, turn_back_on_at=utcnow() + ahead)
    assert refused.value.field == "run_at"
    with pytest.raises(ValidationError) as refused:
        kill_switches.create_schedule(staff, NAME, False, utcnow() + ahead, REASON)
    assert refused.value.field == "run_at"
    db.session.rollback()
    assert switch().enabled and schedules() == [] and events() == [] and actions() == []


def test_turn_back_on_only_when_turning_off(staff):
    kill_switches.toggle_switch(staff, NAME, False, REASON)
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        kill_switches.toggle_switch(
            staff, NAME, True, REASON, turn_back_on_at=utcnow() + timedelta(hours=1)
        )
    assert refused.value.field == "run_at"


def test_running_twice_is_harmless(staff):
    at = turn_off_until(staff, hours=0.5)
    later = at + timedelta(minutes=1)
    first = kill_switches.apply_due_schedules(now=later)
    db.session.commit()
    second = kill_switches.apply_due_schedules(now=later)
    db.session.commit()
    assert (first["applied"], second) == (1, {"applied": 0, "skipped": 0})
    assert [e.to_enabled for e in events()] == [False, True]
    assert actions().count("kill_switch.schedule_applied") == 1


def test_one_pending_change_per_switch(staff):
    at = utcnow() + timedelta(hours=3)
    kill_switches.create_schedule(staff, NAME, False, at, "nightly maintenance window")
    db.session.commit()
    with pytest.raises(InvalidState, match="cancel it first") as refused:
        kill_switches.create_schedule(staff, NAME, False, at + timedelta(hours=1), REASON)
    assert refused.value.field == "run_at"
    with pytest.raises(ValidationError, match="already on"):
        kill_switches.create_schedule(staff, "ipn_processing", True, at, REASON)


def test_cancel_needs_a_reason_and_records_it(staff):
    at = utcnow() + timedelta(hours=3)
    planned = kill_switches.create_schedule(staff, NAME, False, at, "nightly maintenance window")
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        kill_switches.cancel_schedule(staff, planned.id, "short")
    assert refused.value.field == "reason"
    with pytest.raises(NotFound):
        kill_switches.cancel_schedule(
            staff, planned.id, "window moved to next week", name="ipn_processing"
        )
    kill_switches.cancel_schedule(staff, NAME, "window moved to next week")
    db.session.commit()
    (cancelled,) = schedules()
    assert cancelled.status == "cancelled" and "window moved to next week" in cancelled.note
    assert actions() == ["kill_switch.schedule_created", "kill_switch.schedule_cancelled"]
    with pytest.raises(NotFound):
        kill_switches.cancel_schedule(staff, NAME, "window moved to next week")
    with pytest.raises(InvalidState):
        kill_switches.cancel_schedule(staff, planned.id, "window moved to next week")
    assert kill_switches.apply_due_schedules(now=at + timedelta(minutes=1))["applied"] == 0


def test_a_cli_schedule_names_its_cli_creator(platform):
    cli = activity.Actor(label="cli:deploy")
    at = turn_off_until(cli)
    kill_switches.apply_due_schedules(now=at + timedelta(seconds=1))
    db.session.commit()
    assert switch().reason == f"Scheduled by cli:deploy: {REASON}"


def test_the_beat_task_applies_due_schedules_and_records_its_runs(staff, app):
    turn_off_until(staff)
    (pending,) = schedules()
    pending.run_at = utcnow() - timedelta(seconds=1)  # its time has come
    db.session.commit()
    task = app.extensions["celery"].tasks["features.apply_switch_schedules"]
    assert task.apply().get() == {"applied": 1, "skipped": 0}
    assert task.apply().get() == {"applied": 0, "skipped": 0}
    assert switch().enabled
    runs = list(
        db.session.scalars(
            select(JobRun)
            .where(JobRun.job_name == "features.apply_switch_schedules")
            .order_by(JobRun.id)
        )
    )
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert runs[0].counts["applied"] == 1 and runs[1].counts["applied"] == 0
    count = select(func.count()).select_from(KillSwitchEvent)
    assert db.session.scalar(count) == 2


@pytest.mark.committing
@pytest.mark.parametrize("table", ["kill_switch_schedules", "kill_switches"])
def test_rows_another_worker_holds_are_left_for_the_next_run(app, is_postgres, table):
    if not is_postgres:
        pytest.skip("row locks need PostgreSQL")
    from sqlalchemy import text

    from services.tenancy import context

    with app.app_context():
        token = context.enter_platform()
        try:
            at = turn_off_until(activity.Actor(label="tests"))
            (pending,) = schedules()
            row_id = pending.id if table == "kill_switch_schedules" else pending.kill_switch_id
            later = at + timedelta(seconds=1)
            with db.engine.connect() as other:  # another worker (or a toggle) mid-transaction
                other.execute(
                    text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE"), {"id": row_id}
                )
                db.session.execute(text("SET LOCAL lock_timeout = '2s'"))  # fail, never hang
                assert kill_switches.apply_due_schedules(now=later) == {"applied": 0, "skipped": 0}
                db.session.commit()
                other.rollback()
            assert kill_switches.apply_due_schedules(now=later) == {"applied": 1, "skipped": 0}
            db.session.commit()
            assert switch().enabled
        finally:
            context.reset_scope(token)
            db.session.remove()
