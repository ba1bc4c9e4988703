"""Steps 4–6 of record_payment (spec 30 §6.2), under the order lock and before any insert:
resolve what refunds and disputes reverse, enforce the refund cap, require a product companion
for shipping parts, and compute each new row's cycle."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models.commerce import Order, Payment, UserPlan
from app.models.commerce_enums import REVERSAL_STATUSES, PaymentStatus
from services.ledger_balances import reversed_minor
from services.ledger_rows import derive_cycle


@dataclass(frozen=True)
class InsertPlan:
    part: object  # PaymentPart
    key: str
    line: UserPlan | None
    cycle: int
    refers_to: int | None


def _refused(code: str, message: str):
    from services.ledger import LedgerRefused

    return LedgerRefused(code, message)


def _target(event, order: Order, part) -> Payment:
    """The approved row a refund or dispute part reverses."""
    if part.refers_to_payment_id is not None:
        row = db.session.get(Payment, part.refers_to_payment_id)
        valid = (
            row is not None
            and row.order_id == order.id
            and row.user_plan_id == part.user_plan_id
            and row.status == PaymentStatus.APPROVED
            and row.deleted_at is None
        )
        if not valid:
            raise _refused("refund_target_missing", "The charge to reverse was not found.")
        return row
    if not event.charge_transaction_id:
        raise _refused("refund_target_missing", "Name the charge this reverses.")
    line_match = (
        Payment.user_plan_id.is_(None)
        if part.user_plan_id is None
        else Payment.user_plan_id == part.user_plan_id
    )
    row = db.session.scalars(
        select(Payment)
        .where(
            Payment.order_id == order.id,
            line_match,
            Payment.status == PaymentStatus.APPROVED,
            Payment.gateway_transaction_id == event.charge_transaction_id,
            Payment.deleted_at.is_(None),
        )
        .order_by(Payment.id)
    ).first()
    if row is None:
        raise _refused("refund_target_missing", "The charge to reverse was not found.")
    return row


def _companion_cycle(event, order: Order, plans: list[InsertPlan], existing) -> int:
    """A shipping part's companion product part: in this event (new or already recorded), or
    a product row of the same order, transaction and status."""
    for plan in plans:
        if plan.line is not None:
            return plan.cycle
    for row in existing.values():
        if row.user_plan_id is not None:
            return row.recurring_cycle
    row = db.session.scalars(
        select(Payment).where(
            Payment.order_id == order.id,
            Payment.user_plan_id.is_not(None),
            Payment.gateway_transaction_id == event.gateway_transaction_id,
            Payment.status == event.status,
        )
    ).first()
    if row is None:
        raise _refused("shipping_without_product", "A shipping charge needs its product charge.")
    return row.recurring_cycle


def resolve(event, order: Order, lines: dict[int, UserPlan], new_parts, existing) -> list:
    """InsertPlans for the parts that are new; raises LedgerRefused before anything is written."""
    reversal = event.status in REVERSAL_STATUSES
    plans: list[InsertPlan] = []
    pending_shipping = []
    reserved: dict[int, int] = {}  # target id -> amount reversed by this event so far
    for part, key in new_parts:
        line = lines.get(part.user_plan_id) if part.user_plan_id is not None else None
        if reversal:
            target = _target(event, order, part)
            already = reversed_minor(target.id) + reserved.get(target.id, 0)
            if already + part.amount_minor > target.amount_minor:
                raise _refused(
                    "refund_exceeds_approved",
                    "That is more than what remains refundable of the charge.",
                )
            reserved[target.id] = reserved.get(target.id, 0) + part.amount_minor
            plans.append(InsertPlan(part, key, line, target.recurring_cycle, target.id))
        elif line is None:
            pending_shipping.append((part, key))
        else:
            plans.append(
                InsertPlan(part, key, line, derive_cycle(line, event.recurring_cycle), None)
            )
    for part, key in pending_shipping:
        cycle = _companion_cycle(event, order, plans, existing)
        plans.append(InsertPlan(part, key, None, cycle, None))
    return plans
