"""create_order, the only constructor of orders and their lines (spec 30 §3.2–3.4), and the
non-payment transitions, which live in services/order_transitions.py and are re-exported here."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass
from datetime import datetime

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import Order, Plan, UserPlan
from app.models.commerce_enums import (
    GRANT_SOURCES,
    GatewayType,
    LineKind,
    LineStatus,
    OrderStatus,
    OrderType,
    PlanType,
)
from app.models.gateways import Gateway
from app.models.tenancy import Tenant
from services import activity
from services.catalog.scope import visible_publication
from services.catalog.versions import bump_access_after_commit
from services.errors import NotFound, ValidationError
from services.order_state import add_months
from services.order_transitions import (  # noqa: F401  (the transitions' public home)
    cancel_line,
    cancel_order,
    expire_pending,
    pause,
    register_gateway_action,
    resume,
    start_trial,
)

GATEWAY_SOURCES = (GatewayType.STRIPE, GatewayType.MERCADOPAGO, GatewayType.YUNO, GatewayType.PAYU)
PRE_APPROVED = (*GRANT_SOURCES, GatewayType.EXTERNAL, GatewayType.TOTAL_DISCOUNT_COUPON)
MAX_LINES = 100


@dataclass(frozen=True)
class LineDraft:
    user_id: int
    plan_id: int | None = None
    publication_id: int | None = None
    price_minor: int = 0
    expires_at: datetime | None = None


@dataclass(frozen=True)
class OrderDraft:
    tenant_id: int
    user_id: int
    gateway_type: str
    lines: tuple[LineDraft, ...]
    actor: activity.Actor
    currency: str | None = None
    amount_minor: int = 0
    gateway_id: int | None = None
    sandbox: bool | None = None
    staff: bool = False
    created_by_id: int | None = None
    external_reference: str | None = None
    bulk_import_id: int | None = None
    coupon_id: int | None = None
    shipping_information: dict | None = None


def order_type_for(gateway_type: str, staff: bool) -> str:
    """Spec 30 §3.2: the source fixes the order type."""
    if gateway_type in GATEWAY_SOURCES or gateway_type == GatewayType.TOTAL_DISCOUNT_COUPON:
        return OrderType.SALE
    if gateway_type == GatewayType.MANUAL:
        return OrderType.INTERNAL if staff else OrderType.PERMISSION
    if gateway_type in GRANT_SOURCES:
        return OrderType.PERMISSION
    if gateway_type == GatewayType.EXTERNAL:
        return OrderType.INTERNAL_REPORT if staff else OrderType.REPORT
    raise ValidationError(f"Orders cannot come from {gateway_type}.", field="gateway_type")


def _clean_reference(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > 64 or not text.isprintable():
        raise ValidationError(
            "A reference has 1 to 64 printable characters.", field="external_reference"
        )
    return text


def _sandbox(draft: OrderDraft) -> tuple[int | None, bool]:
    if draft.gateway_type in GATEWAY_SOURCES:
        gateway = db.session.get(Gateway, draft.gateway_id) if draft.gateway_id else None
        if (
            gateway is None
            or gateway.tenant_id != draft.tenant_id
            or gateway.type != (draft.gateway_type)
        ):
            raise ValidationError("A gateway order needs that gateway's settings.", "gateway_id")
        return gateway.id, gateway.sandbox
    if draft.gateway_id is not None:
        raise ValidationError("Only gateway orders name a gateway.", field="gateway_id")
    return None, bool(draft.sandbox)


def _amount(draft: OrderDraft, order_type: str) -> int:
    amount = draft.amount_minor
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValidationError("An amount is a whole number of minor units, 0 or more.", "amount")
    free = order_type in (OrderType.PERMISSION, OrderType.INTERNAL) or (
        draft.gateway_type == GatewayType.TOTAL_DISCOUNT_COUPON
    )
    if free and amount != 0:
        raise ValidationError("Grants and 100% coupon orders are free.", field="amount")
    if order_type in (OrderType.REPORT, OrderType.INTERNAL_REPORT) and amount <= 0:
        raise ValidationError("Enter the amount the customer paid.", field="amount")
    return amount


def _line(draft: OrderDraft, line: LineDraft, order: Order, now: datetime) -> UserPlan:
    if (line.plan_id is None) == (line.publication_id is None):
        raise ValidationError("A line is either a plan or a publication.", field="lines")
    if isinstance(line.price_minor, bool) or not isinstance(line.price_minor, int):
        raise ValidationError("A price is a whole number of minor units.", field="lines")
    if line.price_minor < 0 or (
        order.type in (OrderType.PERMISSION, OrderType.INTERNAL) and line.price_minor
    ):
        raise ValidationError("That line price is not allowed here.", field="lines")
    row = UserPlan(
        tenant_id=draft.tenant_id,
        uuid=uuid_lib.uuid4(),
        user_id=line.user_id,
        gateway_type=draft.gateway_type,
        status=LineStatus.PENDING,
        price_minor=line.price_minor,
        currency=order.currency,
    )
    external_order = draft.gateway_type == GatewayType.EXTERNAL
    if line.plan_id is not None:
        plan = db.session.get(Plan, line.plan_id)
        if plan is None or plan.tenant_id != draft.tenant_id:
            raise NotFound("That plan does not exist.")
        if plan.is_external != external_order:
            raise ValidationError(
                "External plans are recorded as external orders, and only they are.", "plan"
            )
        row.plan_id, row.kind = plan.id, LineKind(plan.type)
        if plan.type == PlanType.RECURRING:
            row.interval, row.interval_count = plan.interval, plan.interval_count
        row.plan = plan
    else:
        if external_order:
            raise ValidationError("External orders sell external plans.", field="plan")
        if visible_publication(draft.tenant_id, line.publication_id, live_only=False) is None:
            raise NotFound("That publication is not in this catalogue.")
        row.publication_id, row.kind = line.publication_id, LineKind.SINGLE
    if line.expires_at is not None and line.expires_at <= now:
        raise ValidationError("The end date must be in the future.", field="expires_at")
    if order.status == OrderStatus.APPROVED:
        row.status, row.starts_at = LineStatus.APPROVED, now
        row.expires_at = line.expires_at or default_expiry(row, now)
    else:
        row.expires_at = line.expires_at
    return row


def _shipping(draft: OrderDraft, lines: list[UserPlan]) -> dict | None:
    """Spec 30 §9.2: the snapshot is validated, and required exactly when a line ships."""
    from services import shipping_snapshot

    physical = any(line.plan is not None and line.plan.physical for line in lines)
    if draft.shipping_information is None:
        if physical:
            raise ValidationError("Physical plans need shipping information.", "shipping")
        return None
    if not physical:
        raise ValidationError("Only orders of physical plans carry shipping.", "shipping")
    return shipping_snapshot.validate(draft.shipping_information)


def default_expiry(line: UserPlan, starts_at: datetime) -> datetime | None:
    """Spec 30 §4.2: prepaid and external lines end after their duration; others are open."""
    if line.kind in (LineKind.PREPAID, LineKind.EXTERNAL) and line.plan is not None:
        return add_months(starts_at, line.plan.duration_months)
    return None


def create_order(draft: OrderDraft) -> Order:
    """Validate the source, build the order and its lines in the current transaction, and
    apply the approval effects of pre-approved sources. Flushes; the caller commits."""
    if draft.gateway_type == GatewayType.PAYPAL:
        raise ValidationError("PayPal orders are no longer created.", field="gateway_type")
    if not draft.lines:
        raise ValidationError("An order needs at least one line.", field="lines")
    if len(draft.lines) > MAX_LINES:
        raise ValidationError("Too many lines for one order.", field="lines")
    tenant = db.session.get(Tenant, draft.tenant_id)
    if tenant is None:
        raise NotFound("No such tenant.")
    order_type = order_type_for(draft.gateway_type, draft.staff)
    gateway_id, sandbox = _sandbox(draft)
    currency = (draft.currency or tenant.default_currency).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError("A currency is a three-letter code.", field="currency")
    now = utcnow()
    approved = draft.gateway_type in PRE_APPROVED
    order = Order(
        tenant_id=draft.tenant_id,
        uuid=uuid_lib.uuid4(),
        user_id=draft.user_id,
        type=order_type,
        status=OrderStatus.APPROVED if approved else OrderStatus.PENDING,
        gateway_type=draft.gateway_type,
        gateway_id=gateway_id,
        sandbox=sandbox,
        currency=currency,
        amount_minor=_amount(draft, order_type),
        coupon_id=draft.coupon_id,
        shipping_information=draft.shipping_information,
        external_reference=_clean_reference(draft.external_reference),
        bulk_import_id=draft.bulk_import_id,
        created_by_id=draft.created_by_id,
        status_changed_at=now,
    )
    lines = [_line(draft, line, order, now) for line in draft.lines]
    order.shipping_information = _shipping(draft, lines)
    db.session.add(order)
    db.session.flush()
    for row in lines:
        row.order_id = order.id
        db.session.add(row)
    db.session.flush()
    _audit(draft, order, lines)
    if approved:
        for user_id in sorted({row.user_id for row in lines}):
            bump_access_after_commit(draft.tenant_id, user_id)
    return order


def _audit(draft: OrderDraft, order: Order, lines: list[UserPlan]) -> None:
    activity.record(
        draft.actor,
        "order.created",
        "order",
        order.uuid,
        tenant_id=draft.tenant_id,
        after={
            "type": order.type,
            "status": order.status,
            "gateway_type": order.gateway_type,
            "amount_minor": order.amount_minor,
            "currency": order.currency,
            "lines": len(lines),
            "external_reference": order.external_reference,
        },
    )
    if order.type in (OrderType.SALE,) and draft.gateway_type in GATEWAY_SOURCES:
        return
    for row in lines:
        activity.record(
            draft.actor,
            "user_plan.assigned",
            "user_plan",
            row.uuid,
            tenant_id=draft.tenant_id,
            after={
                "order": str(order.uuid),
                "kind": row.kind,
                "status": row.status,
                "expires_at": row.expires_at,
            },
        )
