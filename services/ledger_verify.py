"""`commerce verify-ledger`: recompute what the ledger promises and list every breach (spec 30
§11): forged keys, orphan shipping rows, reversals over their charge, orders without lines and
currency mismatches."""

from __future__ import annotations

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models.commerce import Order, Payment, UserPlan
from app.models.commerce_enums import REVERSAL_STATUSES
from services.ledger_rows import key_of

BATCH = 5000


def _forged_keys(tenant_id: int) -> list[str]:
    findings, last_id = [], 0
    while True:
        rows = list(
            db.session.scalars(
                select(Payment)
                .where(Payment.tenant_id == tenant_id, Payment.id > last_id)
                .order_by(Payment.id)
                .limit(BATCH)
            )
        )
        if not rows:
            return findings
        findings += [
            f"payment {r.uuid}: idempotency key mismatch"
            for r in rows
            if key_of(r) != r.idempotency_key
        ]
        last_id = rows[-1].id
        db.session.expunge_all()


def _orphan_shipping(tenant_id: int) -> list[str]:
    product = aliased(Payment)
    query = select(Payment.uuid).where(
        Payment.tenant_id == tenant_id,
        Payment.user_plan_id.is_(None),
        Payment.status.not_in(REVERSAL_STATUSES),
        ~exists().where(
            and_(
                product.order_id == Payment.order_id,
                product.user_plan_id.is_not(None),
                product.gateway_transaction_id == Payment.gateway_transaction_id,
                product.status == Payment.status,
            )
        ),
    )
    return [f"payment {u}: shipping row without its product row" for u in db.session.scalars(query)]


def _over_cap(tenant_id: int) -> list[str]:
    reversal = aliased(Payment)
    query = (
        select(Payment.uuid, Payment.amount_minor, func.sum(reversal.amount_minor))
        .join(reversal, reversal.refers_to_payment_id == Payment.id)
        .where(
            Payment.tenant_id == tenant_id,
            reversal.status.in_(REVERSAL_STATUSES),
            reversal.deleted_at.is_(None),
        )
        .group_by(Payment.id, Payment.uuid, Payment.amount_minor)
        .having(func.sum(reversal.amount_minor) > Payment.amount_minor)
    )
    return [
        f"payment {u}: reversed {total} of {amount}"
        for u, amount, total in db.session.execute(query)
    ]


def _orders_without_lines(tenant_id: int) -> list[str]:
    query = select(Order.uuid).where(
        Order.tenant_id == tenant_id, ~exists().where(UserPlan.order_id == Order.id)
    )
    return [f"order {u}: no lines" for u in db.session.scalars(query)]


def _currency_mismatches(tenant_id: int) -> list[str]:
    payments = (
        select(Payment.uuid)
        .join(Order, Order.id == Payment.order_id)
        .where(Payment.tenant_id == tenant_id, Payment.currency != Order.currency)
    )
    lines = (
        select(UserPlan.uuid)
        .join(Order, Order.id == UserPlan.order_id)
        .where(UserPlan.tenant_id == tenant_id, UserPlan.currency != Order.currency)
    )
    return [
        f"payment {u}: currency differs from its order" for u in db.session.scalars(payments)
    ] + [f"line {u}: currency differs from its order" for u in db.session.scalars(lines)]


def verify(tenant_id: int) -> list[str]:
    """Every finding for one tenant (empty: the ledger holds)."""
    return (
        _forged_keys(tenant_id)
        + _orphan_shipping(tenant_id)
        + _over_cap(tenant_id)
        + _orders_without_lines(tenant_id)
        + _currency_mismatches(tenant_id)
    )
