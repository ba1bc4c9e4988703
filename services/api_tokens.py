"""Internal API tokens for platform-host callers: create (shown once), verify, revoke."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow
from app.models.tenancy import ApiToken
from services import activity
from services.errors import NotFound, ValidationError

PREFIX = "plt_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    actor: activity.Actor, name: str, expires_days: int | None = None
) -> tuple[ApiToken, str]:
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise ValidationError("Enter a name of 1 to 120 characters.", field="name")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        token_prefix=token[:8],
        token_hash=_digest(token),
        created_by=actor.user_id,
        expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None,
    )
    db.session.add(row)
    db.session.flush()
    activity.record(
        actor,
        "api_token.created",
        "api_token",
        row.uuid,
        tenant_id=None,
        after={"name": name, "prefix": row.token_prefix},
    )
    return row, token


def verify(token: str) -> ApiToken | None:
    """The live token row for this bearer value, or None (unknown, revoked or expired)."""
    if not token.startswith(PREFIX):
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    return row


def touch(row: ApiToken) -> None:
    row.last_used_at = utcnow()


def revoke(actor: activity.Actor, prefix: str) -> ApiToken:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_prefix == prefix))
    if row is None:
        raise NotFound("No such token.")
    row.revoked_at = utcnow()
    activity.record(actor, "api_token.revoked", "api_token", row.uuid, tenant_id=None)
    return row
