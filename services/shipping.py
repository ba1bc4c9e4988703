"""Shipping notes (spec 30 §9): the shared rules (period length, due dates, the idempotent note
insert, the reader's notice) and note #1, which the ledger creates with an approved shipping row.
Carriers, snapshots, the notes list and the cycle job live in the `shipping_*` modules."""

from __future__ import annotations

import logging
import uuid as uuid_lib
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import Order, Payment, ShippingCarrier, ShippingNote, UserPlan
from app.models.commerce_enums import LineKind, PaymentStatus, PlanInterval, SaleType
from app.models.storefront import Notification
from services.features import checks
from services.order_state import add_months  # dates as well as datetimes
from services.shipping_snapshot import PERIOD_LENGTHS

log = logging.getLogger("shipping")

FEATURE = "physicals_goods"
PROVINCE_FEATURE = "shipping_by_province"
NOTICE_KIND = "shipping_note"


def due_on(anchor: date, shipment_number: int) -> date:
    return add_months(anchor, shipment_number - 1)


def months_elapsed(anchor: date, today: date) -> int:
    """Whole calendar months from `anchor` to `today` (by the same clamped rule as due_on)."""
    months = (today.year - anchor.year) * 12 + today.month - anchor.month
    while months > 0 and add_months(anchor, months) > today:
        months -= 1
    return max(months, 0)


def main_line(order: Order) -> UserPlan | None:
    """The line the shipments belong to: the first physical plan line, else the first line."""
    lines = list(order.lines)
    physical = [ln for ln in lines if ln.plan is not None and ln.plan.physical]
    return (physical or lines or [None])[0]


def period_length_for(order: Order) -> int:
    """Shipments one shipping charge of `order` pays for (spec 30 §9.3): the snapshot's
    `price.shipments`, else its `interval`, else the main line (yearly / 12-month prepaid)."""
    snapshot = order.shipping_information or {}
    shipments = (snapshot.get("price") or {}).get("shipments")
    if shipments in PERIOD_LENGTHS:
        return shipments
    if snapshot.get("interval") == PlanInterval.YEAR:
        return 12
    line = main_line(order)
    if line is None:
        return 1
    if line.kind == LineKind.RECURRING and line.interval == PlanInterval.YEAR:
        return 12
    if line.kind == LineKind.PREPAID and line.plan is not None and line.plan.duration_months == 12:
        return 12
    return 1


def per_shipment_minor(order: Order, period_length: int, payment: Payment | None = None) -> int:
    """The per-shipment price from the snapshot, else the charge split over its shipments."""
    price = (order.shipping_information or {}).get("price") or {}
    value = price.get("per_shipment_minor")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return payment.amount_minor // period_length if payment is not None else 0


def carrier_for(tenant_id: int, snapshot: dict) -> ShippingCarrier | None:
    """The carrier a snapshot names (archived ones included: notes outlive carriers)."""
    raw = (snapshot.get("carrier") or {}).get("uuid")
    try:
        key = uuid_lib.UUID(str(raw))
    except ValueError:
        return None
    return db.session.scalar(
        select(ShippingCarrier).where(
            ShippingCarrier.tenant_id == tenant_id, ShippingCarrier.uuid == key
        )
    )


def _insert_statement():
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(ShippingNote.__table__)


def insert_notes(
    payment: Payment, order: Order, carrier_id: int, period_length: int, numbers: Iterable[int]
) -> list[int]:
    """Insert notes `numbers` of `payment`; numbers that exist already are left alone
    (ON CONFLICT (payment_id, shipment_number) DO NOTHING). Returns the new notes' ids."""
    numbers = sorted(set(numbers))
    if not numbers:
        return []
    anchor = payment.occurred_at.date()
    amount = per_shipment_minor(order, period_length, payment)
    now = utcnow()
    rows = [
        {
            "uuid": uuid_lib.uuid4(),
            "tenant_id": payment.tenant_id,
            "payment_id": payment.id,
            "order_id": order.id,
            "carrier_id": carrier_id,
            "period_length": period_length,
            "shipment_number": number,
            "due_on": due_on(anchor, number),
            "amount_minor": amount,
            "currency": payment.currency,
            "shipping_information": dict(order.shipping_information or {}),
            "status": "order-generated",
            "created_at": now,
            "updated_at": now,
        }
        for number in numbers
    ]
    table = ShippingNote.__table__
    statement = (
        _insert_statement()
        .values(rows)
        .on_conflict_do_nothing(index_elements=["payment_id", "shipment_number"])
        .returning(table.c.id, table.c.shipment_number)
    )
    created = db.session.execute(statement).all()
    for _, number in created:
        notify_reader(order, number, period_length)
    return [row_id for row_id, _ in created]


def notify_reader(order: Order, shipment_number: int, period_length: int) -> None:
    """An in-app notice to the buyer, visible once the transaction commits, and the e-mail of
    spec 30 §6.2 step 8, sent after commit."""
    from services import mail

    title = f"Shipment {shipment_number} of {period_length} is being prepared"
    email = order.user.email if order.user is not None else None
    mail.send(email, "shipping_note", {"title": title, "order_uuid": order.uuid})
    db.session.add(
        Notification(
            tenant_id=order.tenant_id,
            user_id=order.user_id,
            kind=NOTICE_KIND,
            title=title,
            body=f"Order {order.uuid}",
        )
    )


def is_shipping_charge(payment: Payment) -> bool:
    return (
        payment.user_plan_id is None
        and payment.sale_type == SaleType.SHIPPING
        and payment.status == PaymentStatus.APPROVED
        and payment.deleted_at is None
    )


def create_first_note(payment: Payment, order: Order) -> ShippingNote | None:
    """Note #1 of an approved shipping row, in the ledger's transaction (spec 30 §9.5). None
    when the tenant lacks `physicals_goods` (the daily job creates it once the feature is back),
    when the order has no snapshot, or when the snapshot's carrier is unknown."""
    if not is_shipping_charge(payment) or not order.shipping_information:
        return None
    if not checks.enabled(payment.tenant_id, FEATURE):
        return None
    carrier = carrier_for(payment.tenant_id, order.shipping_information)
    if carrier is None:
        log.warning("shipping.unknown_carrier order=%s payment=%s", order.uuid, payment.uuid)
        return None
    insert_notes(payment, order, carrier.id, period_length_for(order), [1])
    return db.session.scalar(
        select(ShippingNote).where(
            ShippingNote.payment_id == payment.id, ShippingNote.shipment_number == 1
        )
    )
