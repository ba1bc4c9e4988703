"""The activity log writer: who changed what, with a before/after diff that never holds secrets."""

from __future__ import annotations

from dataclasses import dataclass

from app.extensions import db
from app.models.activity import Activity

SECRET_FIELDS = frozenset({"password_hash", "session_token", "token_hash", "password", "token"})


@dataclass(frozen=True)
class Actor:
    """The person or process behind a change; services receive it explicitly."""

    label: str
    user_id: int | None = None
    is_staff: bool = False
    request_id: str | None = None

    @classmethod
    def for_user(cls, user, request_id: str | None = None) -> Actor:
        return cls(label=user.email, user_id=user.id, is_staff=user.is_staff, request_id=request_id)


SYSTEM = Actor(label="system")


def cli_actor() -> Actor:
    import getpass

    return Actor(label=f"cli:{getpass.getuser()}")


def _clean(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {
        key: ("changed" if key in SECRET_FIELDS else _jsonable(value))
        for key, value in values.items()
    }


def _jsonable(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str | dict):
        return value
    return str(value)


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values changed, on both sides."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id,
    *,
    tenant_id: int | None,
    before: dict | None = None,
    after: dict | None = None,
) -> Activity:
    """Add one activity row to the current transaction (the edge commits)."""
    row = Activity(
        tenant_id=tenant_id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        actor_is_staff=actor.is_staff,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        before=_clean(before),
        after=_clean(after),
        request_id=actor.request_id,
    )
    db.session.add(row)
    return row
