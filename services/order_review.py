"""One order under review (spec 30 §10.2): what its page reads (lines, the ledger timeline with
masked payloads, shipping notes, its activity) and the audited "mark reviewed" action."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update

from app.extensions import db
from app.models.activity import Activity
from app.models.base import utcnow
from app.models.commerce import Order, Payment, ShippingNote, UserPlan
from app.models.commerce_enums import GatewayType
from services import activity, ledger
from services.errors import Conflict
from services.order_queries import find_order, publication_titles
from services.rows import Page, paginate

SECRET_KEY = re.compile(r"card|cvv|token|secret|password|authorization", re.IGNORECASE)
MASK = "••••"


@dataclass(frozen=True)
class TimelineEntry:
    """A payment row as the timeline shows it."""

    payment: Payment
    part: str
    refers_to_uuid: str | None
    payload: str

    @property
    def deleted(self) -> bool:
        return self.payment.deleted_at is not None


@dataclass
class OrderDetail:
    """Everything the order page shows, read in a handful of queries."""

    order: Order
    lines: list[UserPlan]
    labels: dict[int, str]
    timeline: list[TimelineEntry]
    notes: list[ShippingNote]
    sync_pending: bool
    balance: ledger.OrderBalance


def order_detail(tenant_id: int, order_uuid) -> OrderDetail:
    """The tenant's order and what its page lists; NotFound for another tenant's uuid."""
    order = find_order(tenant_id, order_uuid)
    lines = list(order.lines)
    titles = publication_titles(tenant_id, {ln.publication_id for ln in lines if ln.publication_id})
    labels = {
        line.id: line.plan.name if line.plan else titles.get(line.publication_id, "Publication")
        for line in lines
    }
    payments = list(
        db.session.scalars(
            select(Payment)
            .where(Payment.tenant_id == tenant_id, Payment.order_id == order.id)
            .order_by(Payment.occurred_at, Payment.id)
        )
    )
    notes = list(
        db.session.scalars(
            select(ShippingNote)
            .where(ShippingNote.tenant_id == tenant_id, ShippingNote.order_id == order.id)
            .order_by(ShippingNote.due_on, ShippingNote.shipment_number, ShippingNote.id)
        )
    )
    sync_pending = order.gateway_type == GatewayType.EXTERNAL and not payments
    balance = ledger.order_balance(tenant_id, order.id)
    entries = timeline(payments, labels)
    return OrderDetail(order, lines, labels, entries, notes, sync_pending, balance)


def timeline(payments: list[Payment], labels: dict[int, str]) -> list[TimelineEntry]:
    uuids = {p.id: str(p.uuid) for p in payments}
    return [
        TimelineEntry(
            payment=p,
            part="Shipping" if p.user_plan_id is None else labels.get(p.user_plan_id, "Product"),
            refers_to_uuid=uuids.get(p.refers_to_payment_id) if p.refers_to_payment_id else None,
            payload=json.dumps(
                masked(p.payment_payload or {}), indent=2, sort_keys=True, ensure_ascii=False
            ),
        )
        for p in payments
    ]


def masked(value):
    """The payload with every value under a card, cvv, token, secret, password or
    authorization key replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: MASK if SECRET_KEY.search(str(key)) else masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def order_activity(tenant_id: int, order: Order, page: int = 1) -> Page:
    """The activity rows about the order and its lines, newest first, 50 a page."""
    line_uuids = [str(line.uuid) for line in order.lines]
    about = or_(
        and_(Activity.subject_type == "order", Activity.subject_id == str(order.uuid)),
        and_(Activity.subject_type == "user_plan", Activity.subject_id.in_(line_uuids)),
    )
    query = select(Activity).where(Activity.tenant_id == tenant_id, about)
    return paginate(query, (Activity.created_at.desc(), Activity.id.desc()), page)


def mark_reviewed(order: Order, actor: activity.Actor, seen_reason: str | None = None) -> bool:
    """Clear the order's review reason with an activity row; False when there was none. With
    `seen_reason`, a reason that changed since the admin read it is a Conflict (the ledger may
    have set a new one meanwhile, and that one has not been looked at)."""
    current = order.review_reason
    if current is None:
        return False
    if seen_reason is not None and seen_reason != current:
        raise Conflict("The order needs review for a new reason; reload and look again.")
    cleared = db.session.execute(
        update(Order)
        .where(
            Order.tenant_id == order.tenant_id,
            Order.id == order.id,
            Order.review_reason == current,
        )
        .values(review_reason=None, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if cleared.rowcount != 1:
        raise Conflict("The order changed meanwhile; reload and look again.")
    activity.record(
        actor,
        "order.reviewed",
        "order",
        order.uuid,
        tenant_id=order.tenant_id,
        before={"review_reason": current},
        after={"review_reason": None},
    )
    db.session.flush()
    return True
