"""The subscriptions list (spec 30 §10.3): recurring and prepaid lines sold through MercadoPago,
Stripe and Yuno, with each line's approved charges, in keyset pages (CSV in order_export)."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, func, or_, select

from app.extensions import db
from app.models.commerce import Order, Payment, Plan, UserPlan
from app.models.commerce_enums import (
    GatewayType,
    LineKind,
    LineStatus,
    OrderType,
    PaymentStatus,
    PlanInterval,
    RefundStatus,
)
from app.models.tenancy import User
from services.errors import ValidationError
from services.order_cursor import KeysetPage, keyset_page
from services.order_queries import SANDBOX_MODES, email_prefix_users, local_range
from services.tenancy.resolver import get_tenant

GATEWAYS = (GatewayType.MERCADOPAGO, GatewayType.STRIPE, GatewayType.YUNO)
KINDS = (LineKind.RECURRING, LineKind.PREPAID)
STATUS_LABELS = {
    "active": "Active",
    "paused": "Paused",
    "refunded": "Refunded",
    "cancelled": "Cancelled",
    "expired": "Expired",
}
INTERVALS = ("monthly", "annual", "every_n_months", "prepaid")
MIN_EMAIL_PREFIX = 3


@dataclass(frozen=True)
class SubscriptionFilters:
    status: str | None = None
    plan: uuid_lib.UUID | None = None
    interval: str | None = None
    gateway: str | None = None
    start_from: date | None = None
    start_to: date | None = None
    q: str = ""
    sandbox: str = "exclude"

    def __post_init__(self):
        for name, allowed in (
            ("status", STATUS_LABELS),
            ("interval", INTERVALS),
            ("gateway", [g.value for g in GATEWAYS]),
        ):
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise ValidationError(f"Unknown {name}.", field=name)
        if self.sandbox not in SANDBOX_MODES:
            raise ValidationError("Unknown sandbox filter.", field="sandbox")


def _status_condition(status: str):
    refunded = UserPlan.refund_status == RefundStatus.REFUNDED
    return {
        "active": UserPlan.status == LineStatus.APPROVED,
        "paused": UserPlan.status == LineStatus.PAUSED,
        "refunded": and_(UserPlan.status == LineStatus.CANCELLED, refunded),
        "cancelled": and_(
            UserPlan.status == LineStatus.CANCELLED,
            or_(UserPlan.refund_status.is_(None), ~refunded),
        ),
        "expired": UserPlan.status == LineStatus.EXPIRED,
    }[status]


def _interval_condition(interval: str):
    recurring_month = and_(
        UserPlan.kind == LineKind.RECURRING, UserPlan.interval == PlanInterval.MONTH
    )
    return {
        "monthly": and_(recurring_month, UserPlan.interval_count == 1),
        "annual": and_(UserPlan.kind == LineKind.RECURRING, UserPlan.interval == PlanInterval.YEAR),
        "every_n_months": and_(recurring_month, UserPlan.interval_count > 1),
        "prepaid": UserPlan.kind == LineKind.PREPAID,
    }[interval]


def conditions(tenant_id: int, filters: SubscriptionFilters) -> list:
    where = [
        UserPlan.tenant_id == tenant_id,
        UserPlan.kind.in_(KINDS),
        UserPlan.status != LineStatus.PENDING,  # an unpaid checkout is no subscription yet
        Order.type == OrderType.SALE,
        Order.gateway_type.in_(GATEWAYS),
    ]
    if filters.sandbox != "include":
        where.append(Order.sandbox.is_(filters.sandbox == "only"))
    if filters.status:
        where.append(_status_condition(filters.status))
    if filters.interval:
        where.append(_interval_condition(filters.interval))
    if filters.gateway:
        where.append(Order.gateway_type == filters.gateway)
    if filters.plan:
        where.append(UserPlan.plan_id.in_(select(Plan.id).where(Plan.uuid == filters.plan)))
    low, high = local_range(filters.start_from, filters.start_to, get_tenant(tenant_id).tzinfo)
    if low is not None:
        where.append(UserPlan.starts_at >= low)
    if high is not None:
        where.append(UserPlan.starts_at < high)
    q = filters.q.strip()
    if len(q) >= MIN_EMAIL_PREFIX:
        where.append(UserPlan.user_id.in_(email_prefix_users(tenant_id, q)))
    return where


def rows_query(tenant_id: int, filters: SubscriptionFilters) -> Select:
    return (
        select(
            UserPlan.id,
            UserPlan.uuid,
            UserPlan.created_at,
            Order.uuid.label("order_uuid"),
            Order.gateway_type,
            Order.sandbox,
            User.email,
            User.uuid.label("user_uuid"),
            Plan.name.label("plan_name"),
            UserPlan.kind,
            UserPlan.interval,
            UserPlan.interval_count,
            UserPlan.status,
            UserPlan.refund_status,
            UserPlan.starts_at,
            UserPlan.expires_at,
            UserPlan.access_until,
            UserPlan.current_period_end,
            UserPlan.price_minor,
            UserPlan.currency,
        )
        .join(Order, Order.id == UserPlan.order_id)
        .join(User, User.id == UserPlan.user_id)
        .join(Plan, Plan.id == UserPlan.plan_id)
        .where(*conditions(tenant_id, filters))
    )


@dataclass(frozen=True)
class SubscriptionRow:
    """One line of the subscriptions table."""

    line: object  # the selected row
    payments: int
    last_payment_at: datetime | None
    last_amount: int | None

    def __getattr__(self, name):
        return getattr(self.line, name)

    @property
    def status_key(self) -> str:
        if self.line.status == LineStatus.APPROVED:
            return "active"
        if self.line.status == LineStatus.CANCELLED:
            refunded = self.line.refund_status == RefundStatus.REFUNDED
            return "refunded" if refunded else "cancelled"
        return self.line.status

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status_key, self.line.status.capitalize())

    @property
    def interval_label(self) -> str:
        line = self.line
        if line.kind == LineKind.PREPAID:
            return "prepaid"
        if line.interval == PlanInterval.YEAR:
            return "annual"
        count = line.interval_count or 1
        return "monthly" if count == 1 else f"every {count} months"

    @property
    def valid_to(self) -> datetime | None:
        cancelled = self.line.status == LineStatus.CANCELLED
        return self.line.access_until if cancelled else self.line.expires_at

    @property
    def amount_minor(self) -> int:
        return self.last_amount if self.last_amount is not None else self.line.price_minor

    @property
    def next_charge(self) -> datetime | None:
        line = self.line
        recurring = line.kind == LineKind.RECURRING and line.status == LineStatus.APPROVED
        return line.current_period_end if recurring else None


def charge_stats(tenant_id: int, line_ids: list[int]) -> dict[int, tuple[int, datetime, int]]:
    """(approved product rows, latest approved occurred_at, its amount) per line, one query."""
    if not line_ids:
        return {}
    latest_first = (Payment.occurred_at.desc(), Payment.id.desc())
    ranked = (
        select(
            Payment.user_plan_id,
            Payment.occurred_at,
            Payment.amount_minor,
            func.row_number()
            .over(partition_by=Payment.user_plan_id, order_by=latest_first)
            .label("rank"),
            func.count().over(partition_by=Payment.user_plan_id).label("approved"),
        )
        .where(
            Payment.tenant_id == tenant_id,
            Payment.user_plan_id.in_(line_ids),
            Payment.status == PaymentStatus.APPROVED,
            Payment.deleted_at.is_(None),
        )
        .subquery()
    )
    rows = db.session.execute(select(ranked).where(ranked.c.rank == 1))
    return {r.user_plan_id: (int(r.approved), r.occurred_at, int(r.amount_minor)) for r in rows}


def with_stats(tenant_id: int, rows) -> list[SubscriptionRow]:
    stats = charge_stats(tenant_id, [row.id for row in rows])
    return [SubscriptionRow(row, *stats.get(row.id, (0, None, None))) for row in rows]


@dataclass
class SubscriptionList:
    rows: list[SubscriptionRow]
    page: KeysetPage


def list_subscriptions(
    tenant_id: int,
    filters: SubscriptionFilters,
    *,
    after: str | None = None,
    before: str | None = None,
) -> SubscriptionList:
    """One keyset page (50) of subscription lines, newest first."""
    page = keyset_page(
        rows_query(tenant_id, filters),
        UserPlan.created_at,
        UserPlan.id,
        key=lambda row: (row.created_at, row.id),
        kind="datetime",
        after=after,
        before=before,
    )
    return SubscriptionList(with_stats(tenant_id, page.rows), page)


def plan_choices(tenant_id: int) -> list[tuple[str, str]]:
    """(uuid, name) of the tenant's recurring and prepaid plans, archived ones included."""
    rows = db.session.execute(
        select(Plan.uuid, Plan.name)
        .where(Plan.tenant_id == tenant_id, Plan.type.in_(KINDS))
        .order_by(Plan.name)
    )
    return [(str(uuid), name) for uuid, name in rows]
