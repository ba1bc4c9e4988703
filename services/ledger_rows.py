"""What a payment row derives from its event and line (spec 30 §5.2–5.3): the idempotency
key, sale and plan types, and the recurring cycle."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select

from app.extensions import db
from app.models.commerce import Payment, UserPlan
from app.models.commerce_enums import LineKind, PaymentStatus

SALE_TYPES = {
    LineKind.RECURRING: "subscription",
    LineKind.PREPAID: "prepaid",
    LineKind.SINGLE: "single",
    LineKind.EXTERNAL: "external",
}


def idempotency_key(
    gateway_id, tenant_id, gateway_transaction_id, gateway_key, status, order_id, user_plan_id
) -> str:
    """sha256 hex of the JSON array of the seven parts as strings, NULL as "" (spec 30 §5.3)."""
    parts = [
        "" if value is None else str(value)
        for value in (
            gateway_id,
            tenant_id,
            gateway_transaction_id,
            gateway_key,
            status,
            order_id,
            user_plan_id,
        )
    ]
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()


def key_of(row: Payment) -> str:
    """The key a stored row should carry (verify-ledger compares it with the stored one)."""
    return idempotency_key(
        row.gateway_id,
        row.tenant_id,
        row.gateway_transaction_id,
        row.gateway_key,
        row.status,
        row.order_id,
        row.user_plan_id,
    )


def sale_type(line: UserPlan | None) -> str:
    return "shipping" if line is None else SALE_TYPES[LineKind(line.kind)]


def plan_type(line: UserPlan | None) -> str:
    if line is None:
        return "shipping"
    if line.kind == LineKind.SINGLE:
        return "single"
    return line.plan.type if line.plan is not None else str(line.kind)


def derive_cycle(line: UserPlan, supplied: int | None) -> int:
    """A charge's cycle: the gateway's when supplied, else one past the line's latest
    approved cycle (1 when none); non-recurring lines are always cycle 1."""
    if line.kind != LineKind.RECURRING:
        return 1
    if supplied is not None:
        return supplied
    latest = db.session.scalar(
        select(func.max(Payment.recurring_cycle)).where(
            Payment.user_plan_id == line.id,
            Payment.status == PaymentStatus.APPROVED,
            Payment.deleted_at.is_(None),
        )
    )
    return (latest or 0) + 1
