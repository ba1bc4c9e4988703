"""Balances as sums over the ledger, never stored (spec 30 §5.5): one aggregate per order,
one grouped query for a page of orders, and the refundable remainder of a charge."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from app.extensions import db
from app.models.commerce import Payment
from app.models.commerce_enums import PaymentStatus


@dataclass
class Totals:
    approved: int = 0
    refunded: int = 0
    disputed: int = 0

    @property
    def net(self) -> int:
        return self.approved - self.refunded - self.disputed

    def add(self, other: Totals) -> None:
        self.approved += other.approved
        self.refunded += other.refunded
        self.disputed += other.disputed


@dataclass
class OrderBalance:
    lines: dict[int, dict[int, Totals]] = field(default_factory=dict)
    line_totals: dict[int, Totals] = field(default_factory=dict)
    shipping: dict[int, Totals] = field(default_factory=dict)
    shipping_total: Totals = field(default_factory=Totals)
    product_total: Totals = field(default_factory=Totals)
    total: Totals = field(default_factory=Totals)

    def latest_cycle(self, user_plan_id: int) -> int | None:
        cycles = [c for c, t in self.lines.get(user_plan_id, {}).items() if t.approved]
        return max(cycles) if cycles else None


def _sum(status: str):
    return func.coalesce(
        func.sum(case((Payment.status == status, Payment.amount_minor), else_=0)), 0
    )


SUMS = (
    _sum(PaymentStatus.APPROVED).label("approved"),
    _sum(PaymentStatus.REFUNDED).label("refunded"),
    _sum(PaymentStatus.DISPUTE_LOST).label("disputed"),
)


def order_balance(tenant_id: int, order_id: int) -> OrderBalance:
    """Every level of one order's balance from a single aggregate (soft-deleted rows excluded;
    pending, error and cancelled rows count 0)."""
    rows = db.session.execute(
        select(Payment.user_plan_id, Payment.recurring_cycle, *SUMS)
        .where(
            Payment.tenant_id == tenant_id,
            Payment.order_id == order_id,
            Payment.deleted_at.is_(None),
        )
        .group_by(Payment.user_plan_id, Payment.recurring_cycle)
    ).all()
    balance = OrderBalance()
    for user_plan_id, cycle, approved, refunded, disputed in rows:
        totals = Totals(int(approved), int(refunded), int(disputed))
        if user_plan_id is None:
            balance.shipping[cycle] = totals
            balance.shipping_total.add(totals)
        else:
            balance.lines.setdefault(user_plan_id, {})[cycle] = totals
            balance.line_totals.setdefault(user_plan_id, Totals()).add(totals)
            balance.product_total.add(totals)
        balance.total.add(totals)
    return balance


def nets_for_orders(tenant_id: int, order_ids: list[int]) -> dict[int, int]:
    """order id -> net, for a page of orders, in one grouped query."""
    if not order_ids:
        return {}
    rows = db.session.execute(
        select(Payment.order_id, *SUMS)
        .where(
            Payment.tenant_id == tenant_id,
            Payment.order_id.in_(order_ids),
            Payment.deleted_at.is_(None),
        )
        .group_by(Payment.order_id)
    ).all()
    nets = dict.fromkeys(order_ids, 0)
    for order_id, approved, refunded, disputed in rows:
        nets[order_id] = int(approved) - int(refunded) - int(disputed)
    return nets


def reversed_minor(payment_id: int) -> int:
    """Refunds and disputes already recorded against one approved row."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
                Payment.refers_to_payment_id == payment_id,
                Payment.status.in_((PaymentStatus.REFUNDED, PaymentStatus.DISPUTE_LOST)),
                Payment.deleted_at.is_(None),
            )
        )
    )


def refundable_minor(payment: Payment) -> int:
    """What may still be refunded of an approved row (0 for anything else)."""
    if payment.status != PaymentStatus.APPROVED or payment.deleted_at is not None:
        return 0
    return max(0, payment.amount_minor - reversed_minor(payment.id))
