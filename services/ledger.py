"""The single write path of the payments ledger (spec 30 §5–§6): `record_payment` inserts one
immutable row per part of a financial event, idempotently, under the order's lock, and applies
the side effects of the rows it really inserted. Nothing else inserts into `payments`."""

from __future__ import annotations

import uuid as uuid_lib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import Order, Payment, UserPlan
from app.models.commerce_enums import (
    REVERSAL_STATUSES,
    GatewayType,
    OrderType,
    PaymentStatus,
)
from services.errors import Conflict, DomainError
from services.ledger_balances import (  # noqa: F401  (balances are part of the ledger's API)
    OrderBalance,
    Totals,
    nets_for_orders,
    order_balance,
    refundable_minor,
    reversed_minor,
)
from services.ledger_rows import derive_cycle, idempotency_key, plan_type, sale_type

Source = Literal["ipn", "refund", "sync", "external", "staff"]
LOCK_TIMEOUT = "10s"


@dataclass(frozen=True)
class PaymentPart:
    user_plan_id: int | None  # None = the shipping part
    amount_minor: int
    refers_to_payment_id: int | None = None


@dataclass(frozen=True)
class PaymentEvent:
    tenant_id: int
    order_id: int
    status: str
    currency: str
    parts: tuple[PaymentPart, ...]
    gateway_id: int | None
    gateway_type: str
    gateway_transaction_id: str | None
    gateway_key: str | None
    gateway_status: str | None
    source: Source
    charge_transaction_id: str | None = None
    recurring_cycle: int | None = None
    occurred_at: datetime | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    email: str | None = None
    invoice_number: str | None = None
    actor_id: int | None = None
    reason: str | None = None
    review_reason: str | None = None


@dataclass
class LedgerResult:
    outcome: Literal["created", "duplicate", "partial"]
    created: list[Payment]
    duplicates: list[Payment]
    order_status_before: str
    order_status_after: str
    line_changes: dict[int, tuple[str, str]] = field(default_factory=dict)


class LedgerRefused(DomainError):
    """The event breaks a ledger rule; nothing was inserted. `code` names the rule."""

    status = 422

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


class OrderBusy(Conflict):
    """Another transaction holds the order's lock past the timeout; retry later."""

    def __init__(self):
        super().__init__("This order is being updated, try again.")


def lock_order(tenant_id: int, order_id: int) -> Order:
    """Take the per-order lock (a row lock on PostgreSQL; SQLite serialises writers, so a
    no-op write takes its database lock) and return the fresh order."""
    dialect = db.session.get_bind().dialect.name
    try:
        if dialect == "postgresql":
            db.session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            query = select(Order).where(Order.id == order_id, Order.tenant_id == tenant_id)
            order = db.session.execute(
                query.with_for_update(of=Order).execution_options(populate_existing=True)
            ).scalar_one_or_none()
        else:
            db.session.execute(
                update(Order)
                .where(Order.id == order_id, Order.tenant_id == tenant_id)
                .values(updated_at=Order.updated_at)
                .execution_options(synchronize_session=False)
            )
            order = db.session.execute(
                select(Order)
                .where(Order.id == order_id, Order.tenant_id == tenant_id)
                .execution_options(populate_existing=True)
            ).scalar_one_or_none()
    except OperationalError as exc:
        if "lock" in str(exc.orig).lower():
            raise OrderBusy() from exc
        raise
    if order is None:
        raise LedgerRefused("order_not_found", "That order does not exist.")
    return order


def _validate(event: PaymentEvent) -> None:
    if event.status not in set(PaymentStatus):
        raise LedgerRefused("invalid_status", f"Unknown payment status {event.status!r}.")
    if event.gateway_type == GatewayType.PAYPAL:
        raise LedgerRefused("gateway_type_retired", "PayPal rows are history only.")
    if event.gateway_type not in set(GatewayType):
        raise LedgerRefused("invalid_gateway_type", f"Unknown gateway {event.gateway_type!r}.")
    if not event.parts:
        raise LedgerRefused("invalid_amount", "An event needs at least one part.")
    for part in event.parts:
        amount = part.amount_minor
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise LedgerRefused("invalid_amount", "Amounts are whole minor units, 0 or more.")
    if sum(1 for p in event.parts if p.user_plan_id is None) > 1:
        raise LedgerRefused("invalid_amount", "An event carries one shipping part at most.")


def _check_order(event: PaymentEvent, order: Order, lines: dict[int, UserPlan]) -> None:
    if order.type in (OrderType.INTERNAL, OrderType.PERMISSION) or (
        order.gateway_type == GatewayType.TOTAL_DISCOUNT_COUPON
    ):
        raise LedgerRefused("order_type_without_payments", "This order never has payments.")
    if event.currency.upper() != order.currency:
        raise LedgerRefused("currency_mismatch", "The currency differs from the order's.")
    for part in event.parts:
        if part.user_plan_id is not None and part.user_plan_id not in lines:
            raise LedgerRefused("line_not_in_order", "That line is not part of this order.")


def record_payment(event: PaymentEvent) -> LedgerResult:
    """Insert the event's new rows and apply their side effects, in the caller's transaction
    (the caller commits as soon as this returns). Raises LedgerRefused or OrderBusy."""
    from services import ledger_effects, ledger_resolve

    _validate(event)
    order = lock_order(event.tenant_id, event.order_id)
    lines = {line.id: line for line in order.lines}
    _check_order(event, order, lines)
    status_before = order.status
    keyed = [(part, _key(event, part.user_plan_id)) for part in event.parts]
    existing = {
        row.idempotency_key: row
        for row in db.session.scalars(
            select(Payment).where(
                Payment.tenant_id == event.tenant_id,
                Payment.idempotency_key.in_([key for _, key in keyed]),
            )
        )
    }
    new_parts = [(part, key) for part, key in keyed if key not in existing]
    duplicates = [existing[key] for _, key in keyed if key in existing]
    plans = ledger_resolve.resolve(event, order, lines, new_parts, existing)
    created = [_insert(event, order, plan) for plan in plans]
    created = [row for row in created if row is not None]
    if not created:
        return LedgerResult("duplicate", [], duplicates, status_before, order.status)
    line_changes = ledger_effects.apply(event, order, lines, created)
    outcome = "created" if not duplicates and len(created) == len(keyed) else "partial"
    return LedgerResult(outcome, created, duplicates, status_before, order.status, line_changes)


def _key(event: PaymentEvent, user_plan_id: int | None) -> str:
    return idempotency_key(
        event.gateway_id,
        event.tenant_id,
        event.gateway_transaction_id,
        event.gateway_key,
        event.status,
        event.order_id,
        user_plan_id,
    )


def _insert(event: PaymentEvent, order: Order, plan) -> Payment | None:
    """INSERT … ON CONFLICT DO NOTHING; None when a concurrent writer got there first."""
    now = utcnow()
    payload = dict(event.payload)
    if event.reason:
        payload.setdefault("refund_reason", event.reason)
    values = {
        "uuid": uuid_lib.uuid4(),
        "tenant_id": event.tenant_id,
        "order_id": order.id,
        "user_plan_id": plan.part.user_plan_id,
        "gateway_id": event.gateway_id,
        "gateway_type": event.gateway_type,
        "status": event.status,
        "amount_minor": plan.part.amount_minor,
        "currency": order.currency,
        "gateway_transaction_id": event.gateway_transaction_id,
        "gateway_key": event.gateway_key,
        "gateway_status": event.gateway_status,
        "sale_type": sale_type(plan.line),
        "plan_type": plan_type(plan.line),
        "recurring_cycle": plan.cycle,
        "refers_to_payment_id": plan.refers_to,
        "occurred_at": event.occurred_at or now,
        "sandbox": order.sandbox,
        "idempotency_key": plan.key,
        "payment_payload": payload,
        "invoice_number": event.invoice_number,
        "email": event.email or (order.user.email if order.user else None),
        "created_at": now,
        "updated_at": now,
    }
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Payment)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
        .returning(Payment.id)
    )
    new_id = db.session.execute(statement).scalar_one_or_none()
    if new_id is None:
        return None
    return db.session.get(Payment, new_id)


__all__ = [
    "LedgerRefused",
    "LedgerResult",
    "OrderBalance",
    "OrderBusy",
    "PaymentEvent",
    "PaymentPart",
    "REVERSAL_STATUSES",
    "Totals",
    "derive_cycle",
    "lock_order",
    "nets_for_orders",
    "order_balance",
    "record_payment",
    "refundable_minor",
]
