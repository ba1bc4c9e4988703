"""In-app notifications: messages to a tenant's admins, shown under the control-panel bell
(spec 70 §1.2)."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.extensions import db
from app.models.base import utcnow
from app.models.storefront import Notification
from app.models.tenancy import User

TITLE_MAX = 200
BODY_MAX = 2000
LINK_MAX = 500


def notify_admins(
    tenant_id: int, kind: str, title: str, body: str | None = None, link: str | None = None
) -> int:
    """One notification per active admin of `tenant_id`; returns how many were added. For
    another tenant than the current one, call it inside a named platform_scope."""
    admin_ids = db.session.scalars(
        select(User.id).where(
            User.tenant_id == tenant_id, User.role == "admin", User.is_active.is_(True)
        )
    ).all()
    for user_id in admin_ids:
        db.session.add(
            Notification(
                tenant_id=tenant_id,
                user_id=user_id,
                kind=kind[:40],
                title=title[:TITLE_MAX],
                body=body[:BODY_MAX] if body else None,
                link=link[:LINK_MAX] if link else None,
            )
        )
    db.session.flush()
    return len(admin_ids)


def unread_count(tenant_id: int, user_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.tenant_id == tenant_id,
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
            )
        )
        or 0
    )


def recent(tenant_id: int, user_id: int, limit: int = 10) -> list[Notification]:
    """The user's latest notifications, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.tenant_id == tenant_id, Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(tenant_id: int, user_id: int) -> int:
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
