"""Kill-switch changes (spec 20 §6.3, §6.4): toggles, schedules and the scheduler's pass, each in
the caller's transaction with its event and activity rows; the snapshot is broadcast after commit.

One activity row per write (§15 item 41): a toggle `turned_on|turned_off` (plus `schedule_created`
when it plans the way back); the scheduler one `schedule_applied` (the switch change, with
before/after; no separate turned_on/off row) or `schedule_skipped` per schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update

from app.extensions import db
from app.models.base import utcnow
from app.models.features import KillSwitch, KillSwitchEvent, KillSwitchSchedule
from services import activity
from services.errors import Conflict, InvalidState, NotFound, ValidationError
from services.features import registry
from services.features.snapshots import write_l2
from services.features.switch_queries import creator_label
from services.features.switches import L2_KEY as SWITCHES_L2_KEY
from services.features.switches import load_from_database as load_switches
from services.features.versions import broadcast, bump
from services.reasons import MAX_LENGTH, require_reason
from services.rows import insert_or_conflict

SCHEDULER = activity.Actor(label="scheduler")
REASON_MINIMUM = 10
MIN_AHEAD = timedelta(minutes=1)
MAX_AHEAD = timedelta(days=30)


def toggle_switch(
    actor: activity.Actor,
    name: str,
    enabled: bool,
    reason: str,
    *,
    source: str = "ui",
    expected_updated_at: datetime | None = None,
    turn_back_on_at: datetime | None = None,
) -> KillSwitch:
    """Turn a switch on or off in one transaction (spec 20 §6.3 step 2); broadcast after it.
    When turning off, `turn_back_on_at` plans the way back (a pending schedule)."""
    reason = require_reason(reason, minimum=REASON_MINIMUM)
    if turn_back_on_at is not None:
        if enabled:
            raise ValidationError("Turning back on applies only to turning off.", field="run_at")
        turn_back_on_at = check_run_at(turn_back_on_at)
    switch = _locked_switch(name)
    if expected_updated_at is not None and switch.updated_at != expected_updated_at:
        who = switch.updated_by_label or "someone"
        raise Conflict(
            f"Changed by {who} at {switch.updated_at:%Y-%m-%d %H:%M:%S} UTC — review and retry."
        )
    if switch.enabled == enabled:
        raise InvalidState(f"{name} is already {_word(enabled)}.")
    before = _change(actor, switch, enabled, reason, source)
    action = "kill_switch.turned_on" if enabled else "kill_switch.turned_off"
    _record(
        actor,
        action,
        "kill_switch",
        name,
        before=before,
        after={"enabled": enabled, "reason": reason},
    )
    if turn_back_on_at is not None:
        _add_schedule(actor, switch, True, turn_back_on_at, reason)
    _publish()
    return switch


def create_schedule(
    actor: activity.Actor, name: str, target_enabled: bool, run_at: datetime, reason: str
) -> KillSwitchSchedule:
    """Plan a change; refused while another change of this switch is pending (cancel it first)."""
    reason = require_reason(reason, minimum=REASON_MINIMUM)
    run_at = check_run_at(run_at)
    switch = _locked_switch(name)
    if switch.enabled == target_enabled:
        raise ValidationError(
            f"{name} is already {_word(target_enabled)}; a schedule must change it.",
            field="target",
        )
    pending = _pending(switch)
    if pending is not None:
        raise InvalidState(
            f"{name} already has a change pending at {pending.run_at:%Y-%m-%d %H:%M} UTC; "
            "cancel it first.",
            field="run_at",
        )
    return _add_schedule(actor, switch, target_enabled, run_at, reason)


def cancel_schedule(
    actor: activity.Actor, target: int | str, reason: str, *, name: str | None = None
) -> KillSwitchSchedule:
    """Cancel a pending schedule, named by its id (of switch `name` when given) or by its
    switch's name."""
    reason = require_reason(reason, minimum=REASON_MINIMUM)
    if isinstance(target, str):
        schedule = _pending(_locked_switch(target))
    else:
        query = select(KillSwitchSchedule).where(KillSwitchSchedule.id == target)
        if name is not None:
            query = query.join(KillSwitch).where(KillSwitch.name == name)
        schedule = db.session.scalar(_locked(query, of=KillSwitchSchedule))
    if schedule is None:
        raise NotFound("No such pending change.")
    if schedule.status != "pending":
        raise InvalidState(f"This schedule is already {schedule.status}.")
    schedule.status, schedule.resolved_at = "cancelled", utcnow()
    schedule.note = f"cancelled by {actor.label}: {reason}"[:MAX_LENGTH]
    db.session.flush()
    _record(
        actor,
        "kill_switch.schedule_cancelled",
        "kill_switch_schedule",
        schedule.id,
        before={"status": "pending"},
        after={"status": "cancelled", "reason": reason},
    )
    return schedule


def apply_due_schedules(now: datetime | None = None) -> dict:
    """Apply every pending schedule whose time has come (spec 20 §6.4); the caller commits."""
    now = now or utcnow()
    due = db.session.execute(
        select(KillSwitchSchedule.id, KillSwitchSchedule.kill_switch_id)
        .where(KillSwitchSchedule.status == "pending", KillSwitchSchedule.run_at <= now)
        .order_by(KillSwitchSchedule.run_at, KillSwitchSchedule.id)
    ).all()
    counts = {"applied": 0, "skipped": 0}
    for schedule_id, switch_id in due:
        claimed = _claim(schedule_id, switch_id, now)
        if claimed is None:
            continue
        switch, schedule = claimed
        schedule.resolved_at = utcnow()
        if switch.enabled == schedule.target_enabled:
            schedule.status = "skipped"
            schedule.note = f"{switch.name} was already {_word(switch.enabled)}"
            db.session.flush()
            _record(
                SCHEDULER,
                "kill_switch.schedule_skipped",
                "kill_switch_schedule",
                schedule.id,
                before={"status": "pending"},
                after={"status": "skipped", "note": schedule.note},
            )
            counts["skipped"] += 1
            continue
        schedule.status = "applied"  # before the change, which cancels whatever is pending
        db.session.flush()
        reason = f"Scheduled by {creator_label(schedule)}: {schedule.reason}"[:MAX_LENGTH]
        before = _change(SCHEDULER, switch, schedule.target_enabled, reason, "schedule")
        _record(
            SCHEDULER,
            "kill_switch.schedule_applied",
            "kill_switch",
            switch.name,
            before=before,
            after={"enabled": switch.enabled, "reason": reason, "schedule_id": schedule.id},
        )
        counts["applied"] += 1
    if counts["applied"]:
        _publish()
    return counts


def _claim(schedule_id: int, switch_id: int, now: datetime):
    """Lock the switch, then its schedule (the order toggles lock them), never waiting: a row
    another worker or a toggle holds is left for the next run, 15 s later."""
    query = select(KillSwitch).where(KillSwitch.id == switch_id)
    switch = db.session.scalar(_locked(query, skip_locked=True))
    if switch is None:
        return None
    query = select(KillSwitchSchedule).where(
        KillSwitchSchedule.id == schedule_id,
        KillSwitchSchedule.status == "pending",  # re-checked under the lock
        KillSwitchSchedule.run_at <= now,
    )
    schedule = db.session.scalar(_locked(query, skip_locked=True))
    return None if schedule is None else (switch, schedule)


def check_run_at(run_at: datetime) -> datetime:
    """A schedule time 1 minute to 30 days ahead, as aware UTC."""
    if run_at.tzinfo is None:  # forms give naive times labelled UTC
        run_at = run_at.replace(tzinfo=UTC)
    run_at = run_at.astimezone(UTC)
    now = utcnow()
    if not now + MIN_AHEAD <= run_at <= now + MAX_AHEAD:
        raise ValidationError("Pick a time 1 minute to 30 days ahead (UTC).", field="run_at")
    return run_at


def _word(enabled: bool) -> str:
    return "on" if enabled else "off"


def _locked_switch(name: str) -> KillSwitch:
    switch = None
    if name in registry.SWITCHES:
        switch = db.session.scalar(_locked(select(KillSwitch).where(KillSwitch.name == name)))
    if switch is None:
        raise NotFound(f"No kill switch {name}.")
    return switch


def _pending(switch: KillSwitch) -> KillSwitchSchedule | None:
    query = select(KillSwitchSchedule).where(
        KillSwitchSchedule.kill_switch_id == switch.id, KillSwitchSchedule.status == "pending"
    )
    return db.session.scalar(_locked(query))


def _change(
    actor: activity.Actor, switch: KillSwitch, enabled: bool, reason: str, source: str
) -> dict:
    """Update the row and add its event; returns the before state for the activity row."""
    before = {"enabled": switch.enabled, "reason": switch.reason}
    switch.enabled, switch.reason = enabled, reason
    switch.updated_by, switch.updated_by_label = actor.user_id, actor.label
    switch.updated_at = utcnow()
    db.session.add(
        KillSwitchEvent(
            kill_switch_id=switch.id,
            from_enabled=before["enabled"],
            to_enabled=enabled,
            reason=reason,
            actor_id=actor.user_id,
            actor_label=actor.label,
            source=source,
            request_id=actor.request_id,
        )
    )
    _cancel_pending(switch, "superseded by manual change")
    db.session.flush()
    return before


def _add_schedule(
    actor: activity.Actor, switch: KillSwitch, target_enabled: bool, run_at: datetime, reason: str
) -> KillSwitchSchedule:
    schedule = KillSwitchSchedule(
        kill_switch_id=switch.id,
        target_enabled=target_enabled,
        run_at=run_at,
        reason=reason,
        created_by=actor.user_id,
        status="pending",
    )
    # The partial unique index turns a concurrent second pending schedule into a Conflict.
    insert_or_conflict(
        schedule, message=f"{switch.name} already has a pending change.", field="run_at"
    )
    _record(
        actor,
        "kill_switch.schedule_created",
        "kill_switch_schedule",
        schedule.id,
        after={
            "switch": switch.name,
            "target_enabled": target_enabled,
            "run_at": run_at,
            "reason": reason,
        },
    )
    return schedule


def _cancel_pending(switch: KillSwitch, note: str) -> None:
    db.session.execute(
        update(KillSwitchSchedule)
        .where(
            KillSwitchSchedule.kill_switch_id == switch.id,
            KillSwitchSchedule.status == "pending",
        )
        .values(status="cancelled", resolved_at=utcnow(), note=note)
    )


def _record(actor, action: str, subject_type: str, subject_id, **diff) -> None:
    """Kill switches are platform-wide: their activity rows belong to no tenant."""
    activity.record(actor, action, subject_type, subject_id, tenant_id=None, **diff)


def _locked(query, **lock):
    """FOR UPDATE, with the locked values rather than a copy the session already holds.
    SQLite renders no lock clause; it has one writer anyway."""
    return query.with_for_update(**lock).execution_options(populate_existing=True)


def _publish() -> None:
    """Bump the switch version; after commit write the L2 snapshot and announce it."""
    version = bump("kill_switches")

    def write_snapshot(bind):
        if isinstance(bind, Engine):
            with bind.connect() as conn:
                write_l2(SWITCHES_L2_KEY, load_switches(conn))
        else:  # a test's connection inside its outer transaction
            write_l2(SWITCHES_L2_KEY, load_switches(bind))

    broadcast({"type": "switches", "version": version}, before_publish=write_snapshot)
