"""Kill-switch state in this process: the database snapshot plus the environment's force-off."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models.features import KillSwitch
from services.errors import UnknownKillSwitch
from services.features import registry
from services.features.snapshots import VersionedSnapshot, read_versions

log = logging.getLogger("features")

L2_KEY = "platform:switches"
ENV_PREFIX = "FEATURE_CONTROL_"
FORCE_OFF = frozenset(("false", "0", "off", "no"))
NO_EFFECT = frozenset(("true", "1", "on", "yes", ""))


@dataclass(frozen=True)
class SwitchState:
    name: str
    enabled: bool  # the database state
    reason: str | None = None
    updated_by_label: str | None = None
    updated_at: str | None = None  # ISO time of the last change


@dataclass(frozen=True)
class Snapshot:
    version: int
    states: dict[str, SwitchState]

    def to_json(self) -> str:
        return json.dumps(
            {"version": self.version, "states": [s.__dict__ for s in self.states.values()]}
        )

    @classmethod
    def from_json(cls, raw: str) -> Snapshot:
        data = json.loads(raw)
        return cls(int(data["version"]), {s["name"]: SwitchState(**s) for s in data["states"]})


def forced_off_from(environ: Mapping[str, str]) -> frozenset[str]:
    """Switches the environment forces off; warns about values and names it cannot use."""
    forced = set()
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        value = str(raw).strip().lower()
        if name not in registry.SWITCHES:
            log.warning("features.unknown_switch_variable variable=%s", key)
            continue
        if value in FORCE_OFF:
            forced.add(name)
        elif value not in NO_EFFECT:
            log.warning("features.bad_switch_value variable=%s value=%r (ignored)", key, raw)
    return frozenset(forced)


EMPTY = Snapshot(0, {})


def load_from_database(executor=None) -> Snapshot:
    executor = executor if executor is not None else db.session
    version = read_versions(executor).get("kill_switches", 0)
    rows = executor.execute(select(KillSwitch.__table__)).all()
    states = {
        row.name: SwitchState(
            name=row.name,
            enabled=bool(row.enabled),
            reason=row.reason,
            updated_by_label=row.updated_by_label,
            updated_at=row.updated_at.isoformat() if row.updated_at else None,
        )
        for row in rows
    }
    return Snapshot(version, states)


class SwitchBoard(VersionedSnapshot):
    """This process's view of every switch; `enabled()` reads memory only."""

    def __init__(self):
        super().__init__(L2_KEY, "kill_switches", load_from_database, Snapshot.from_json, EMPTY)
        self.forced_off: frozenset[str] = frozenset()

    def configure(self, environ: Mapping[str, str]) -> None:
        """Read once at process start: the environment can only force switches off."""
        self.forced_off = forced_off_from(environ)

    def enabled(self, name: str) -> bool:
        if name not in registry.SWITCHES:
            raise UnknownKillSwitch(name)
        if name in self.forced_off:
            return False
        state = self.get().states.get(name)
        return True if state is None else state.enabled  # a known switch with no row is on


board = SwitchBoard()
