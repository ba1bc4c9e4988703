"""What the kill-switch panel, its dialogs, the history page and the CLI read (spec 20 §11.5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, String, and_, cast, func, literal, null, select, union_all

from app.extensions import db
from app.models.activity import Activity
from app.models.base import UTCDateTime, utcnow
from app.models.features import KillSwitch, KillSwitchEvent, KillSwitchSchedule
from app.models.tenancy import Tenant, User
from services.errors import NotFound
from services.features import registry
from services.features.snapshots import read_versions
from services.features.switches import board
from services.rows import Page, paginate

ENVIRONMENT_NOTE = (
    "the environment keeps this off; database changes take effect when the variable is removed"
)


@dataclass(frozen=True)
class PendingView:
    id: int
    target_enabled: bool
    run_at: datetime
    reason: str
    created_by: str

    @property
    def run_at_relative(self) -> str:
        return relative(self.run_at)


@dataclass(frozen=True)
class SwitchView:
    """One switch as staff see it: database state, the environment's say, the last change."""

    name: str
    description: str
    kind: str
    db_enabled: bool
    forced_off: bool
    updated_at: datetime
    updated_by: str | None
    reason: str | None
    pending: PendingView | None

    @property
    def effective(self) -> bool:
        return self.db_enabled and not self.forced_off

    @property
    def state_label(self) -> str:
        if self.forced_off:
            return "Off — forced by environment"
        return "On" if self.db_enabled else "Off"

    @property
    def since_relative(self) -> str:
        return relative(self.updated_at)

    @property
    def expected(self) -> str:
        """The optimistic-lock token a toggle sends back (full precision)."""
        return self.updated_at.isoformat()


@dataclass(frozen=True)
class Panel:
    rows: list[SwitchView]
    process_version: int  # the snapshot this process answers `platform.enabled` from
    database_version: int


def panel() -> Panel:
    """Every switch in registry order, with the versions of this process and the database."""
    fresh = select(KillSwitch).execution_options(populate_existing=True)
    switches = {s.name: s for s in db.session.scalars(fresh)}
    pending = _pending_by_switch()
    rows = [
        _view(switches[name], pending.get(switches[name].id))
        for name in registry.SWITCHES
        if name in switches
    ]
    database_version = read_versions().get("kill_switches", 0)
    return Panel(rows, board.get().version, database_version)


def switch_view(name: str) -> SwitchView:
    switch = None
    if name in registry.SWITCHES:
        switch = db.session.scalar(
            select(KillSwitch)
            .where(KillSwitch.name == name)
            .execution_options(populate_existing=True)
        )
    if switch is None:
        raise NotFound(f"No kill switch {name}.")
    return _view(switch, _pending_by_switch(switch.id).get(switch.id))


def affects(name: str) -> str:
    """The dialog's "what it affects": every tenant for a feature, else the job or behaviour."""
    spec = registry.SWITCHES[name]
    if spec.kind != "feature":
        return f"{spec.kind} {name}"
    tenants = db.session.scalar(select(func.count()).select_from(Tenant)) or 0
    feature = registry.FEATURES.get(name)
    label = feature.name.lower() if feature else name
    return f"{label} for all {tenants} tenant{'' if tenants == 1 else 's'}"


def history(name: str, page: int = 1) -> Page:
    """Events and schedules of one switch, newest first, one paginated list."""
    switch_id = _switch_id(name)
    events = select(
        literal("event", String).label("entry"),
        KillSwitchEvent.id,
        KillSwitchEvent.created_at.label("at"),
        KillSwitchEvent.from_enabled,
        KillSwitchEvent.to_enabled,
        KillSwitchEvent.reason,
        KillSwitchEvent.actor_label.label("actor"),
        cast(KillSwitchEvent.source, String).label("detail"),
        cast(null(), UTCDateTime()).label("run_at"),
        cast(null(), UTCDateTime()).label("resolved_at"),
        cast(null(), String).label("note"),
    ).where(KillSwitchEvent.kill_switch_id == switch_id)
    schedules = (
        select(
            literal("schedule", String),
            KillSwitchSchedule.id,
            KillSwitchSchedule.created_at,
            cast(null(), Boolean),
            KillSwitchSchedule.target_enabled,
            KillSwitchSchedule.reason,
            func.coalesce(User.name, User.email, Activity.actor_label, "unknown"),
            cast(KillSwitchSchedule.status, String),
            KillSwitchSchedule.run_at,
            KillSwitchSchedule.resolved_at,
            KillSwitchSchedule.note,
        )
        .outerjoin(User, User.id == KillSwitchSchedule.created_by)
        .outerjoin(Activity, _created_activity(KillSwitchSchedule.id))
        .where(KillSwitchSchedule.kill_switch_id == switch_id)
    )
    entries = union_all(events, schedules).subquery()
    return paginate(
        select(entries), (entries.c.at.desc(), entries.c.id.desc()), page, scalars=False
    )


def creator_label(schedule: KillSwitchSchedule) -> str:
    """Who planned a schedule: the staff member's name, else its activity row's label (CLI)."""
    if schedule.created_by is not None:
        user = db.session.get(User, schedule.created_by)
        if user is not None:
            return user.name or user.email
    label = db.session.scalar(
        select(Activity.actor_label).where(_created_activity(literal(schedule.id)))
    )
    return label or "unknown"


def relative(when: datetime, now: datetime | None = None) -> str:
    """ "5 minutes ago" / "in 2 days": the panel shows it beside the UTC time."""
    seconds = int(((now or utcnow()) - when).total_seconds())
    span = abs(seconds)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if span >= size:
            count = span // size
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {text}" if seconds < 0 else f"{text} ago"
    return "in under a minute" if seconds < 0 else "just now"


def _created_activity(schedule_id):
    return and_(
        Activity.subject_type == "kill_switch_schedule",
        Activity.subject_id == cast(schedule_id, String),
        Activity.action == "kill_switch.schedule_created",
    )


def _switch_id(name: str) -> int:
    found = None
    if name in registry.SWITCHES:
        found = db.session.scalar(select(KillSwitch.id).where(KillSwitch.name == name))
    if found is None:
        raise NotFound(f"No kill switch {name}.")
    return found


def _pending_by_switch(switch_id: int | None = None) -> dict[int, PendingView]:
    query = select(KillSwitchSchedule).where(KillSwitchSchedule.status == "pending")
    if switch_id is not None:
        query = query.where(KillSwitchSchedule.kill_switch_id == switch_id)
    return {
        s.kill_switch_id: PendingView(s.id, s.target_enabled, s.run_at, s.reason, creator_label(s))
        for s in db.session.scalars(query)
    }


def _view(switch: KillSwitch, pending: PendingView | None) -> SwitchView:
    return SwitchView(
        name=switch.name,
        description=switch.description,
        kind=switch.kind,
        db_enabled=switch.enabled,
        forced_off=switch.name in board.forced_off,
        updated_at=switch.updated_at,
        updated_by=switch.updated_by_label,
        reason=switch.reason,
        pending=pending,
    )
