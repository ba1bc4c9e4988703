"""Commerce rows for tests, made through the real services (create_order, record_payment) so
every test exercises the single write paths; each helper flushes and returns what it made."""

from __future__ import annotations

import itertools
from datetime import datetime

from app.extensions import db
from app.models.commerce import Order, Payment, Plan, PlanPrice
from app.models.gateways import Gateway
from services import activity
from services.ledger import LedgerResult, PaymentEvent, PaymentPart, record_payment
from services.orders import LineDraft, OrderDraft, create_order

ACTOR = activity.Actor(label="tests")
_serial = itertools.count(1)


def make_plan(tenant_id: int, *, prices: dict[str, int] | None = None, **fields) -> Plan:
    """A monthly recurring plan priced USD 10.00 unless told otherwise."""
    values = {
        "name": f"Plan {next(_serial)}",
        "type": "recurring",
        "interval": "month",
        "interval_count": 1,
    }
    values.update(fields)
    if values["type"] != "recurring":
        values.setdefault("duration_months", 12)
        values["interval"] = values["interval_count"] = None
    plan = Plan(tenant_id=tenant_id, **values)
    db.session.add(plan)
    db.session.flush()
    for currency, amount in (prices if prices is not None else {"USD": 1000}).items():
        db.session.add(
            PlanPrice(tenant_id=tenant_id, plan_id=plan.id, currency=currency, amount_minor=amount)
        )
    db.session.flush()
    return plan


def make_gateway(tenant_id: int, type: str = "stripe", environment: str = "live") -> Gateway:
    existing = db.session.query(Gateway).filter_by(tenant_id=tenant_id, type=type).first()
    if existing is not None:
        return existing
    row = Gateway(
        tenant_id=tenant_id, type=type, environment=environment, supported_currencies=["USD"]
    )
    db.session.add(row)
    db.session.flush()
    return row


def make_order(
    tenant_id: int,
    user_id: int,
    *,
    gateway_type: str = "stripe",
    plan: Plan | None = None,
    plans: list[Plan] | None = None,
    publication_id: int | None = None,
    gateway: Gateway | None = None,
    amount_minor: int | None = None,
    currency: str = "USD",
    sandbox: bool = False,
    **draft_fields,
) -> Order:
    """A gateway order (pending) or a grant (approved), through create_order."""
    targets = list(plans or ([plan] if plan is not None else []))
    gateway_sources = ("stripe", "mercadopago", "yuno", "payu")
    if gateway_type in gateway_sources and gateway is None:
        gateway = make_gateway(tenant_id, gateway_type, "sandbox" if sandbox else "live")
    paid = gateway_type in gateway_sources or gateway_type == "external"
    lines = []
    for target in targets:
        price = _price(target, currency) if paid else 0
        lines.append(LineDraft(user_id=user_id, plan_id=target.id, price_minor=price))
    if publication_id is not None:
        lines.append(
            LineDraft(
                user_id=user_id, publication_id=publication_id, price_minor=500 if paid else 0
            )
        )
    if not lines:
        target = make_plan(tenant_id)
        lines.append(LineDraft(user_id=user_id, plan_id=target.id, price_minor=1000 if paid else 0))
    if amount_minor is None:
        amount_minor = sum(line.price_minor for line in lines) if paid else 0
    draft = OrderDraft(
        tenant_id=tenant_id,
        user_id=user_id,
        gateway_type=gateway_type,
        lines=tuple(lines),
        actor=ACTOR,
        currency=currency,
        amount_minor=amount_minor,
        gateway_id=gateway.id if gateway is not None else None,
        sandbox=sandbox if gateway is None else None,
        **draft_fields,
    )
    return create_order(draft)


def _price(plan: Plan, currency: str) -> int:
    for price in plan.prices:
        if price.currency == currency:
            return price.amount_minor
    return 1000


def event(order: Order, status: str, parts, *, txn: str | None = "ch_1", **fields) -> PaymentEvent:
    values = {
        "tenant_id": order.tenant_id,
        "order_id": order.id,
        "status": status,
        "currency": order.currency,
        "parts": tuple(parts),
        "gateway_id": order.gateway_id,
        "gateway_type": order.gateway_type,
        "gateway_transaction_id": txn,
        "gateway_key": order.gateway_key,
        "gateway_status": status,
        "source": "ipn",
    }
    values.update(fields)
    return PaymentEvent(**values)


def product_parts(order: Order, amount: int | None = None) -> list[PaymentPart]:
    """One part per line: the line's price, or `amount` split onto the first line."""
    parts = []
    for index, line in enumerate(order.lines):
        value = line.price_minor if amount is None else (amount if index == 0 else 0)
        parts.append(PaymentPart(user_plan_id=line.id, amount_minor=value))
    return parts


def approve(
    order: Order,
    *,
    txn: str = "ch_1",
    amount: int | None = None,
    shipping_minor: int | None = None,
    cycle: int | None = None,
    occurred_at: datetime | None = None,
    status: str = "approved",
    **fields,
) -> LedgerResult:
    """An approved (or another status's) charge of every line, plus a shipping part."""
    parts = product_parts(order, amount)
    if shipping_minor is not None:
        parts.append(PaymentPart(user_plan_id=None, amount_minor=shipping_minor))
    return record_payment(
        event(
            order, status, parts, txn=txn, recurring_cycle=cycle, occurred_at=occurred_at, **fields
        )
    )


def refund(
    order: Order,
    payment: Payment,
    amount: int,
    refund_id: str = "re_1",
    status: str = "refunded",
    **fields,
) -> LedgerResult:
    """A refund (or dispute) of `amount` against one approved row."""
    part = PaymentPart(
        user_plan_id=payment.user_plan_id, amount_minor=amount, refers_to_payment_id=payment.id
    )
    return record_payment(event(order, status, [part], txn=refund_id, source="refund", **fields))


def make_publication(tenant_id: int, title: str = "Atlas", **fields):
    """A published, paid PDF in the tenant's catalogue (with its owned entry)."""
    from app.models.base import utcnow
    from tests.support import catalog_rows

    values = {
        "is_free": False,
        "file_type": "pdf",
        "status": "ready",
        "language": "en",
        "audience": "general",
        "published_at": utcnow(),
    }
    values.update(fields)
    return catalog_rows.publication(tenant_id, title, **values)
