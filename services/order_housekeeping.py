"""Daily commerce housekeeping, one batch at a time so the task commits per batch and asks its
kill switch between batches (spec 30 §3.4 rule 4, §4.3, §11)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select, update

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import Order, Payment, UserPlan
from app.models.commerce_enums import LineStatus, OrderStatus
from services.catalog.versions import bump_access_after_commit
from services.order_state import add_months

EXPIRE_BATCH = 1000
PRUNE_BATCH = 500
PRUNE_AFTER_MONTHS = 6


def due_to_expire(tenant_id: int, now: datetime, limit: int = EXPIRE_BATCH) -> list[tuple]:
    return db.session.execute(
        select(UserPlan.id, UserPlan.user_id)
        .where(
            UserPlan.tenant_id == tenant_id,
            UserPlan.status == LineStatus.APPROVED,
            UserPlan.expires_at.is_not(None),
            UserPlan.expires_at <= now,
        )
        .order_by(UserPlan.expires_at, UserPlan.id)
        .limit(limit)
    ).all()


def expire_batch(tenant_id: int, now: datetime | None = None) -> int:
    """Approved lines whose end has passed become `expired`; the WHERE on the status makes a
    concurrent cancel win without a lock. Returns how many changed (0: done)."""
    now = now or utcnow()
    due = due_to_expire(tenant_id, now)
    if not due:
        return 0
    result = db.session.execute(
        update(UserPlan)
        .where(UserPlan.id.in_([line_id for line_id, _ in due]))
        .where(UserPlan.status == LineStatus.APPROVED)
        .values(status=LineStatus.EXPIRED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    for user_id in sorted({user_id for _, user_id in due}):
        bump_access_after_commit(tenant_id, user_id)
    return result.rowcount


def prunable_orders(tenant_id: int, now: datetime, limit: int = PRUNE_BATCH) -> list[int]:
    """Pending orders older than six months that never saw a payment row."""
    cutoff = add_months(now, -PRUNE_AFTER_MONTHS)
    return list(
        db.session.scalars(
            select(Order.id)
            .where(
                Order.tenant_id == tenant_id,
                Order.status == OrderStatus.PENDING,
                Order.created_at < cutoff,
                ~exists().where(Payment.order_id == Order.id),
            )
            .order_by(Order.created_at, Order.id)
            .limit(limit)
        )
    )


def prune_batch(tenant_id: int, now: datetime | None = None) -> int:
    """Delete one batch of prunable orders, lines first. Returns how many orders went."""
    ids = prunable_orders(tenant_id, now or utcnow())
    if not ids:
        return 0
    options = {"synchronize_session": False}
    db.session.execute(
        delete(UserPlan).where(UserPlan.order_id.in_(ids)).execution_options(**options)
    )
    db.session.execute(delete(Order).where(Order.id.in_(ids)).execution_options(**options))
    return len(ids)


def tenant_ids() -> list[int]:
    """Every tenant, in id order: the daily jobs fan out over them."""
    from app.models.tenancy import Tenant

    return list(db.session.scalars(select(Tenant.id).order_by(Tenant.id)))
