"""The daily shipping-note generation (spec 30 §9.5): every note a paid shipping charge of the last
13 months is owed by today, and a review flag when a refunded charge still has open notes."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.activity import Activity
from app.models.base import utcnow
from app.models.commerce import Order, Payment, ShippingNote, UserPlan
from app.models.commerce_enums import NoteStatus, PaymentStatus, SaleType
from app.models.tenancy import Tenant
from services import activity, shipping
from services.entitlements import line_grants_access
from services.features import checks
from services.tenancy.context import tenant_scope

KILL_SWITCH = "shipping_notes_generation"
LOOKBACK_MONTHS = 13
BATCH = 500
REVIEW_REASON = "shipping_refunded_open_notes"
# Notes not yet sent (spec 30 §7): a refund of their charge needs a person to look at them.
SENT_STATUSES = (NoteStatus.SHIPPED, NoteStatus.DELIVERED)
REVERSALS = (PaymentStatus.REFUNDED, PaymentStatus.DISPUTE_LOST)


def expected_count(period_length: int, anchor, today) -> int:
    """Notes due by `today`: 1, or one per started month up to 12 (never ahead of its month)."""
    if period_length == 1:
        return 1
    return min(period_length, 1 + shipping.months_elapsed(anchor, today))


def _charges(tenant_id: int, now: datetime, after_id: int) -> list[Payment]:
    cutoff = shipping.add_months(now.date(), -LOOKBACK_MONTHS)
    return list(
        db.session.scalars(
            select(Payment)
            .where(
                Payment.tenant_id == tenant_id,
                Payment.user_plan_id.is_(None),
                Payment.sale_type == SaleType.SHIPPING,
                Payment.status == PaymentStatus.APPROVED,
                Payment.deleted_at.is_(None),
                Payment.occurred_at >= datetime.combine(cutoff, time.min, UTC),
                Payment.occurred_at <= now,
                Payment.id > after_id,
            )
            .order_by(Payment.id)
            .limit(BATCH)
        )
    )


def shipping_nets(tenant_id: int, order_ids) -> dict[tuple[int, int], int]:
    """(order id, cycle) → net of the shipping part: approved − refunded − dispute_lost."""
    signed = case(
        (Payment.status == PaymentStatus.APPROVED, Payment.amount_minor),
        (Payment.status.in_(REVERSALS), -Payment.amount_minor),
        else_=0,
    )
    rows = db.session.execute(
        select(Payment.order_id, Payment.recurring_cycle, func.sum(signed))
        .where(
            Payment.tenant_id == tenant_id,
            Payment.order_id.in_(order_ids),
            Payment.user_plan_id.is_(None),
            Payment.deleted_at.is_(None),
        )
        .group_by(Payment.order_id, Payment.recurring_cycle)
    )
    return {(order_id, cycle): int(net or 0) for order_id, cycle, net in rows}


def _existing(payment_ids) -> dict[int, tuple[int, set[int]]]:
    """payment id → (period length, shipment numbers), deleted notes included."""
    found: dict[int, tuple[int, set[int]]] = {}
    rows = db.session.execute(
        select(
            ShippingNote.payment_id, ShippingNote.period_length, ShippingNote.shipment_number
        ).where(ShippingNote.payment_id.in_(payment_ids))
    )
    for payment_id, period, number in rows:
        found.setdefault(payment_id, (period, set()))[1].add(number)
    return found


def _reviewed_since_reversal(order: Order, payment_id: int) -> bool:
    """Whether someone marked the order reviewed after the charge's latest reversal, so the
    daily run does not raise a flag a person has already cleared."""
    reversed_at = db.session.scalar(
        select(func.max(Payment.created_at)).where(
            Payment.tenant_id == order.tenant_id,
            Payment.refers_to_payment_id == payment_id,
            Payment.status.in_(REVERSALS),
            Payment.deleted_at.is_(None),
        )
    )
    if reversed_at is None:
        return False
    reviewed = db.session.scalar(
        select(Activity.id)
        .where(
            Activity.tenant_id == order.tenant_id,
            Activity.subject_type == "order",
            Activity.subject_id == str(order.uuid),
            Activity.action == "order.reviewed",
            Activity.created_at >= reversed_at,
        )
        .limit(1)
    )
    return reviewed is not None


def has_open_notes(payment_id: int | None) -> bool:
    """Whether a shipping charge has notes that were neither shipped nor delivered."""
    open_note = db.session.scalar(
        select(ShippingNote.id)
        .where(
            ShippingNote.payment_id == payment_id,
            ShippingNote.deleted_at.is_(None),
            ShippingNote.status.not_in(SENT_STATUSES),
        )
        .limit(1)
    )
    return open_note is not None


def flag_open_notes(order: Order, payment_id: int) -> bool:
    """Mark `order` for review when its refunded shipping charge still has unsent notes (the
    ledger does so at refund time; this catches what it could not see)."""
    if order.review_reason is not None:
        return False
    if not has_open_notes(payment_id) or _reviewed_since_reversal(order, payment_id):
        return False
    order.review_reason = REVIEW_REASON
    activity.record(
        activity.SYSTEM,
        "order.review_flagged",
        "order",
        order.uuid,
        tenant_id=order.tenant_id,
        before={"review_reason": None},
        after={"review_reason": REVIEW_REASON},
    )
    return True


def _process(tenant_id: int, charges: list[Payment], now: datetime, dry_run: bool) -> int:
    order_ids = {p.order_id for p in charges}
    nets = shipping_nets(tenant_id, order_ids)
    orders = {
        o.id: o
        for o in db.session.scalars(
            select(Order)
            .where(Order.tenant_id == tenant_id, Order.id.in_(order_ids))
            .options(selectinload(Order.lines).selectinload(UserPlan.plan))
        )
    }
    existing = _existing([p.id for p in charges])
    carriers: dict[str, object] = {}
    created = 0
    for payment in charges:
        order = orders[payment.order_id]
        if not order.shipping_information:
            continue
        if nets.get((order.id, payment.recurring_cycle), 0) <= 0:
            if not dry_run:
                flag_open_notes(order, payment.id)
            continue
        line = shipping.main_line(order)
        if line is None or not line_grants_access(line, now):
            continue  # paused, ended or cancelled past its access: nothing more ships
        period, numbers = existing.get(payment.id, (shipping.period_length_for(order), set()))
        count = expected_count(period, payment.occurred_at.date(), now.date())
        missing = set(range(1, count + 1)) - numbers
        if not missing:
            continue
        if dry_run:
            created += len(missing)
            continue
        key = str((order.shipping_information.get("carrier") or {}).get("uuid"))
        if key not in carriers:
            carriers[key] = shipping.carrier_for(tenant_id, order.shipping_information)
        carrier = carriers[key]
        if carrier is not None:
            created += len(shipping.insert_notes(payment, order, carrier.id, period, missing))
    return created


def create_cycle_notes(tenant_id: int, now: datetime | None = None, dry_run: bool = False) -> int:
    """Create every missing note owed by `now` for tenant `tenant_id`; returns how many were
    created (or, with dry_run, would be). Safe to repeat: existing numbers never conflict."""
    now = now or utcnow()
    with tenant_scope(tenant_id):
        if not checks.enabled(tenant_id, shipping.FEATURE):
            return 0
        total, after_id = 0, 0
        while charges := _charges(tenant_id, now, after_id):
            total += _process(tenant_id, charges, now, dry_run)
            after_id = charges[-1].id
        return total


def tenants_with_feature() -> list[int]:
    """Every tenant (suspended ones too: paid shipments still go out) with physicals_goods."""
    ids = db.session.scalars(select(Tenant.id).order_by(Tenant.id))
    return [tenant_id for tenant_id in ids if checks.enabled(tenant_id, shipping.FEATURE)]
