"""The order stories of the demo commerce seed, each written only through create_order,
record_payment and the order transitions, with times in the past so reports have history."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.models.commerce import Order, Payment, Plan, ShippingCarrier
from app.models.tenancy import Tenant
from services import activity, orders
from services.ledger import PaymentEvent, PaymentPart, record_payment
from services.order_state import add_months
from services.orders import LineDraft, OrderDraft, create_order
from services.seed_commerce_data import CITIES, SANDBOX_DAYS, Story
from services.shipping_snapshot import build as build_snapshot

GATEWAY_STATUS = {
    "stripe": {
        "pending": "processing", "approved": "succeeded", "error": "card_declined",
        "cancelled": "canceled", "refunded": "refunded", "dispute_lost": "lost",
    },
    "mercadopago": {
        "pending": "in_process", "approved": "approved", "error": "rejected",
        "cancelled": "cancelled", "refunded": "refunded", "dispute_lost": "charged_back",
    },
}  # fmt: skip


@dataclass
class Shop:
    """What the stories of one tenant share."""

    tenant: Tenant
    actor: activity.Actor
    now: datetime
    admin_id: int
    readers: list[tuple[int, str]]  # (id, email)
    plans: dict[str, Plan]
    gateways: dict[tuple[str, bool], int]  # (type, sandbox) -> gateway id
    publications: list[tuple[int, int]]  # (id, price) in the tenant's currency
    carrier: ShippingCarrier | None = None
    rng: random.Random = field(default_factory=random.Random)

    @property
    def currency(self) -> str:
        return self.tenant.default_currency

    def txn(self, gateway: str) -> str:
        if gateway == "mercadopago":
            return str(self.rng.randrange(10**10, 10**11))
        return "ch_" + "".join(
            self.rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789", k=24)
        )


def backdate(order: Order, created: datetime) -> Order:
    """Move a new order and its lines to when the story says it happened."""
    order.created_at = order.updated_at = order.status_changed_at = created
    for line in order.lines:
        line.created_at = line.updated_at = created
        if line.starts_at is not None:
            line.starts_at = created
            if line.kind in ("prepaid", "external") and line.plan is not None:
                line.expires_at = add_months(created, line.plan.duration_months)
    return order


def new_order(shop: Shop, story: Story, lines: tuple[LineDraft, ...], **draft) -> Order:
    """A gateway order (through the live row, or the sandbox one when recent) or a grant."""
    gateway_type = draft.pop("gateway_type", story.gateway)
    if gateway_type in ("stripe", "mercadopago"):
        sandbox = story.created > shop.now - timedelta(days=SANDBOX_DAYS)
        draft["gateway_id"] = shop.gateways[(gateway_type, sandbox)]
    else:
        draft["sandbox"] = False
    order = create_order(
        OrderDraft(
            tenant_id=shop.tenant.id,
            user_id=lines[0].user_id,
            gateway_type=gateway_type,
            lines=lines,
            actor=shop.actor,
            currency=shop.currency,
            **draft,
        )
    )
    return backdate(order, story.created)


def charge(shop: Shop, order: Order, status: str, txn: str, at: datetime, shipping=None):
    """One gateway notification for every line of the order (plus a shipping part)."""
    parts = [PaymentPart(line.id, line.price_minor) for line in order.lines]
    if shipping is not None:
        parts.append(PaymentPart(None, shipping))
    return record_payment(
        PaymentEvent(
            tenant_id=order.tenant_id,
            order_id=order.id,
            status=status,
            currency=order.currency,
            parts=tuple(parts),
            gateway_id=order.gateway_id,
            gateway_type=order.gateway_type,
            gateway_transaction_id=txn,
            gateway_key=order.gateway_key,
            gateway_status=GATEWAY_STATUS[order.gateway_type][status],
            source="ipn",
            occurred_at=min(at, shop.now),
            payload={"demo": True},
        )
    )


def reverse(shop: Shop, order: Order, rows: list[Payment], status: str, amounts: list[int]):
    """A refund (or a lost dispute) of `amounts` against the charge `rows`."""
    at = min(rows[0].occurred_at + timedelta(days=shop.rng.randint(1, 20)), shop.now)
    return record_payment(
        PaymentEvent(
            tenant_id=order.tenant_id,
            order_id=order.id,
            status=status,
            currency=order.currency,
            parts=tuple(
                PaymentPart(row.user_plan_id, amount, refers_to_payment_id=row.id)
                for row, amount in zip(rows, amounts, strict=True)
            ),
            gateway_id=order.gateway_id,
            gateway_type=order.gateway_type,
            gateway_transaction_id=f"re_{shop.txn('stripe')[3:]}",
            gateway_key=order.gateway_key,
            gateway_status=GATEWAY_STATUS[order.gateway_type][status],
            source="refund" if status == "refunded" else "ipn",
            occurred_at=at,
            reason="Requested by the reader" if status == "refunded" else None,
        )
    )


def _ending(shop: Shop, story: Story, order: Order, rows: list[Payment]) -> None:
    """What happened after the last charge: a dispute, a refund, or the reader leaving."""
    if story.kind == "dispute":
        reverse(shop, order, rows, "dispute_lost", [row.amount_minor for row in rows])
    elif story.refund == "full":
        reverse(shop, order, rows, "refunded", [row.amount_minor for row in rows])
    elif story.refund == "partial":
        # Physical orders refund the shipping part alone; others a third of the charge.
        target = [row for row in rows if row.user_plan_id is None] or rows[:1]
        share = 1 if target[0].user_plan_id is None else 3
        reverse(shop, order, target, "refunded", [target[0].amount_minor // share])
    if story.churned and order.status == "approved":
        orders.cancel_line(order.lines[0], shop.actor, "Cancelled by the reader", at_gateway=False)


def _reader(shop: Shop, story: Story) -> int:
    return shop.readers[story.reader][0]


def _plan_line(shop: Shop, story: Story, key: str) -> LineDraft:
    plan = shop.plans[key]
    price = next(p.amount_minor for p in plan.prices if p.currency == shop.currency)
    return LineDraft(user_id=_reader(shop, story), plan_id=plan.id, price_minor=price)


def subscription(shop: Shop, story: Story, key: str = "monthly", shipping=None) -> None:
    """A subscription: monthly (or yearly, physical) charges until now or until it ended."""
    line = _plan_line(shop, story, key)
    amount = line.price_minor + (shipping["price"]["amount_minor"] if shipping else 0)
    order = new_order(shop, story, (line,), amount_minor=amount, shipping_information=shipping)
    prefix = "sub_" if story.gateway == "stripe" else "preapproval-"
    order.gateway_key = prefix + shop.txn("stripe")[3:17]
    extra = shipping["price"]["amount_minor"] if shipping else None
    rows: list[Payment] = []
    for cycle in range(1, story.cycles + 1):
        at, txn = story.charge_time(cycle, shop.now), shop.txn(story.gateway)
        if cycle == 1 and story.pending_first:
            charge(shop, order, "pending", txn, at - timedelta(minutes=2), extra)
        if cycle == story.failed_cycle:
            charge(shop, order, "error", shop.txn(story.gateway), at - timedelta(hours=3), extra)
        rows = charge(shop, order, "approved", txn, at, extra).created
    _ending(shop, story, order, rows)


def physical(shop: Shop, story: Story) -> None:
    """A yearly print subscription with its delivery snapshot and shipping parts."""
    reader_id, email = shop.readers[story.reader]
    city, state, postal, country = CITIES[story.reader % len(CITIES)]
    price = next(p.amount_minor for p in shop.carrier.prices if p.currency == shop.currency)
    snapshot = build_snapshot(
        shop.carrier,
        price,
        shop.currency,
        recipient={"name": email.split("@")[0].replace(".", " ").title(), "phone": "555 0100",
                   "email": email},
        address={"line1": f"{100 + story.reader} Main Street", "line2": "", "city": city,
                 "state_code": state, "postal_code": postal, "country": country},
        interval="year",
        interval_count=1,
    )  # fmt: skip
    subscription(shop, story, "physical", snapshot)


def one_off(shop: Shop, story: Story) -> None:
    """A 12-month prepaid plan or a single publication, paid once."""
    if story.kind == "single" and shop.publications:
        publication_id, price = shop.publications[story.reader % len(shop.publications)]
        line = LineDraft(
            user_id=_reader(shop, story), publication_id=publication_id, price_minor=price
        )
    else:
        line = _plan_line(shop, story, "prepaid")
    order = new_order(shop, story, (line,), amount_minor=line.price_minor)
    txn = shop.txn(story.gateway)
    if story.pending_first:
        charge(shop, order, "pending", txn, story.created - timedelta(minutes=1))
    rows = charge(shop, order, "approved", txn, story.created).created
    _ending(shop, story, order, rows)


def unpaid(shop: Shop, story: Story) -> None:
    """A checkout that never paid: still pending, declined, cancelled or expired."""
    line = _plan_line(shop, story, "monthly" if story.reader % 2 else "prepaid")
    order = new_order(shop, story, (line,), amount_minor=line.price_minor)
    txn, at = shop.txn(story.gateway), story.created + timedelta(minutes=3)
    if story.pending_first or story.kind == "cancelled":
        charge(shop, order, "pending", txn, at)
    if story.kind in ("error", "cancelled"):
        charge(shop, order, story.kind, txn, at + timedelta(minutes=1))
    if story.kind == "expired":
        orders.expire_pending(order, "sync", at=min(story.created + timedelta(days=1), shop.now))


WRITERS = {
    "subscription": subscription,
    "dispute": subscription,
    "physical": physical,
    "prepaid": one_off,
    "single": one_off,
    "pending": unpaid,
    "error": unpaid,
    "cancelled": unpaid,
    "expired": unpaid,
}
