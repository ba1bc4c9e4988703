"""Step 7 of record_payment (spec 30 §6.3, §7): what newly inserted rows do to the order and
its lines. Rows that were duplicates never reach here, so a replay has no side effect."""

from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import Order, Payment, UserPlan
from app.models.commerce_enums import (
    LineKind,
    LineStatus,
    OrderStatus,
    PaymentStatus,
    RefundStatus,
)
from services import activity
from services.catalog.versions import bump_access_after_commit
from services.ledger_balances import order_balance
from services.order_state import (
    add_months,
    line_after_approved,
    line_after_cancelled_row,
    order_after_payment,
    term_months,
)
from services.order_transitions import set_line_status, set_order_status


def _actor(event) -> activity.Actor:
    return activity.Actor(label=f"system:{event.source}", user_id=event.actor_id)


def _reported_period_end(event) -> datetime | None:
    value = event.payload.get("current_period_end") if event.payload else None
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _approve_line(event, line: UserPlan, row: Payment, actor) -> None:
    occurred = row.occurred_at
    target = line_after_approved(line.status)
    if target is None and line.status != LineStatus.APPROVED:
        return  # cancelled or expired lines stay as they are
    if target is not None:
        line.starts_at = line.starts_at or occurred
        if line.kind in (LineKind.PREPAID, LineKind.EXTERNAL) and line.expires_at is None:
            line.expires_at = add_months(line.starts_at, line.plan.duration_months)
        set_line_status(line, target, actor, f"payment {row.uuid}")
    if line.kind == LineKind.RECURRING:
        reported = _reported_period_end(event)
        if reported is not None:
            line.current_period_end = reported
        else:
            base = max(occurred, line.current_period_end or occurred)
            line.current_period_end = add_months(
                base, term_months(line.interval, line.interval_count)
            )


def _refund_lines(order: Order, rows: list[Payment], actor) -> None:
    """§7: a refund is full for a line when its latest approved cycle nets 0 afterwards."""
    db.session.flush()
    balance = order_balance(order.tenant_id, order.id)
    now = utcnow()
    for line_id in sorted({r.user_plan_id for r in rows if r.user_plan_id is not None}):
        line = next(ln for ln in order.lines if ln.id == line_id)
        latest = balance.latest_cycle(line_id)
        full = latest is not None and balance.lines[line_id][latest].net == 0
        if full:
            line.refund_status = RefundStatus.REFUNDED
            if line.status in (LineStatus.APPROVED, LineStatus.PAUSED, LineStatus.PENDING):
                line.cancelled_at = line.access_until = now
                set_line_status(line, LineStatus.CANCELLED, actor, "refunded in full")
        elif line.refund_status != RefundStatus.REFUNDED:
            line.refund_status = RefundStatus.PARTIALLY_REFUNDED
    every_line = all(ln.refund_status == RefundStatus.REFUNDED for ln in order.lines)
    if every_line and order.status in (OrderStatus.APPROVED, OrderStatus.PAUSED):
        set_order_status(order, OrderStatus.REFUNDED, actor, "refunded in full")
    shipping_rows = [r for r in rows if r.user_plan_id is None]
    for row in shipping_rows:
        if balance.shipping.get(row.recurring_cycle) and (
            balance.shipping[row.recurring_cycle].net == 0
        ):
            _flag_open_notes(order, row.refers_to_payment_id)


def _flag_open_notes(order: Order, charge_id: int | None) -> None:
    from services import shipping_cycles

    if shipping_cycles.has_open_notes(charge_id):
        order.review_reason = shipping_cycles.REVIEW_REASON


def _dispute_lines(order: Order, rows: list[Payment], actor) -> None:
    balance = order_balance(order.tenant_id, order.id)
    now = utcnow()
    for row in rows:
        if row.user_plan_id is None:
            continue
        line = next(ln for ln in order.lines if ln.id == row.user_plan_id)
        latest = balance.latest_cycle(line.id)
        if row.recurring_cycle == latest and line.status in (
            LineStatus.APPROVED,
            LineStatus.PAUSED,
            LineStatus.PENDING,
        ):
            line.cancelled_at = line.access_until = now
            set_line_status(line, LineStatus.CANCELLED, actor, "dispute lost")


def _review(order: Order, reason: str, actor, event) -> None:
    order.review_reason = reason
    activity.record(
        actor,
        f"payment.{reason}",
        "order",
        order.uuid,
        tenant_id=order.tenant_id,
        after={"review_reason": reason, "transaction": event.gateway_transaction_id},
    )


def apply(event, order: Order, lines: dict[int, UserPlan], created: list[Payment]) -> dict:
    actor = _actor(event)
    before = {line.id: line.status for line in lines.values()}
    products = [r for r in created if r.user_plan_id is not None]
    status = event.status
    new_status, review = order_after_payment(order.status, status)
    if status == PaymentStatus.APPROVED:
        for row in products:
            _approve_line(event, lines[row.user_plan_id], row, actor)
    elif status == PaymentStatus.CANCELLED:
        for row in products:
            line = lines[row.user_plan_id]
            if line_after_cancelled_row(line.status):
                line.cancelled_at = line.access_until = utcnow()
                set_line_status(line, LineStatus.CANCELLED, actor, "payment cancelled")
    elif status == PaymentStatus.REFUNDED:
        _refund_lines(order, created, actor)
    elif status == PaymentStatus.DISPUTE_LOST:
        _dispute_lines(order, created, actor)
    if new_status is not None and new_status != order.status:
        set_order_status(order, new_status, actor, f"payment {status}")
    if review:
        _review(order, review, actor, event)
    if event.review_reason:
        _review(order, event.review_reason, actor, event)
    _audit(event, order, created, actor)
    if status == PaymentStatus.APPROVED:
        _shipping_notes(order, [r for r in created if r.user_plan_id is None])
    _notify(order, status, created)
    for line in lines.values():
        bump_access_after_commit(order.tenant_id, line.user_id)
    return {
        line_id: (was, lines[line_id].status)
        for line_id, was in before.items()
        if was != lines[line_id].status
    }


def _shipping_notes(order: Order, rows: list[Payment]) -> None:
    if not rows:
        return
    from services import shipping

    for row in rows:
        shipping.create_first_note(row, order)


def _audit(event, order: Order, created: list[Payment], actor) -> None:
    activity.record(
        actor,
        "payment.recorded",
        "order",
        order.uuid,
        tenant_id=order.tenant_id,
        after={
            "status": event.status,
            "transaction": event.gateway_transaction_id,
            "parts": [
                {"line": r.user_plan_id, "amount_minor": r.amount_minor, "cycle": r.recurring_cycle}
                for r in created
            ],
            "reason": event.reason,
        },
    )


NOTICES = {PaymentStatus.APPROVED: "payment_receipt", PaymentStatus.REFUNDED: "refund_confirmation"}


def _notify(order: Order, status: str, created: list[Payment]) -> None:
    """The buyer's receipt or refund confirmation, sent once the event commits."""
    template = NOTICES.get(status)
    if template is None or order.user is None:
        return
    from services import currencies, mail
    from services.storefront.money import format_minor
    from services.tenancy.resolver import get_tenant

    tenant = get_tenant(order.tenant_id)  # the cached tenant payload: no query
    exponent = currencies.exponent(order.currency)
    amount = format_minor(sum(r.amount_minor for r in created), order.currency, exponent)
    items = [line.plan.name if line.plan else "Publication" for line in order.lines]
    context = {"store": tenant.name, "amount": amount, "order_uuid": order.uuid, "items": items}
    mail.send(order.user.email, template, context, sender_name=tenant.name)
