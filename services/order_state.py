"""The order and line state tables and the side effects a new payment row decides (spec 30
§3.3, §4.3, §6.3): pure functions, no I/O, tested exhaustively."""

from __future__ import annotations

import calendar
from datetime import datetime

from app.models.commerce_enums import LineStatus as L
from app.models.commerce_enums import OrderStatus as O
from app.models.commerce_enums import PaymentStatus as P
from services.errors import InvalidState

# Spec 30 §3.3; paused -> refunded and paused -> dispute_lost come from §6.3 and §7, which
# name a paused order as a source of both (the §3.3 table leaves them out).
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    O.PENDING: frozenset({O.APPROVED, O.CANCELLED, O.ERROR, O.EXPIRED}),
    O.ERROR: frozenset({O.APPROVED}),
    O.APPROVED: frozenset({O.REFUNDED, O.CANCELLED, O.PAUSED, O.DISPUTE_LOST}),
    O.PAUSED: frozenset({O.APPROVED, O.CANCELLED, O.REFUNDED, O.DISPUTE_LOST}),
    O.CANCELLED: frozenset(),
    O.REFUNDED: frozenset(),
    O.EXPIRED: frozenset(),
    O.DISPUTE_LOST: frozenset(),
}
LINE_TRANSITIONS: dict[str, frozenset[str]] = {
    L.PENDING: frozenset({L.APPROVED, L.CANCELLED}),
    L.APPROVED: frozenset({L.PAUSED, L.CANCELLED, L.EXPIRED}),
    L.PAUSED: frozenset({L.APPROVED, L.CANCELLED}),
    L.CANCELLED: frozenset(),
    L.EXPIRED: frozenset(),
}
TERMINAL_ORDER = frozenset({O.CANCELLED, O.REFUNDED, O.EXPIRED, O.DISPUTE_LOST})


class IllegalTransition(InvalidState):
    """A status change the state table does not allow; nothing was changed."""

    def __init__(self, from_status: str, to_status: str, what: str = "order"):
        super().__init__(f"A {what} cannot go from {from_status} to {to_status}.")
        self.from_status = from_status
        self.to_status = to_status


def check_order(from_status: str, to_status: str) -> None:
    if to_status not in ORDER_TRANSITIONS.get(from_status, frozenset()):
        raise IllegalTransition(from_status, to_status)


def check_line(from_status: str, to_status: str) -> None:
    if to_status not in LINE_TRANSITIONS.get(from_status, frozenset()):
        raise IllegalTransition(from_status, to_status, "line")


def order_after_payment(order_status: str, payment_status: str) -> tuple[str | None, str | None]:
    """(new order status or None, review reason or None) for a new row of `payment_status`;
    refunds are decided by arithmetic elsewhere (§7)."""
    if payment_status == P.APPROVED:
        if order_status in (O.PENDING, O.ERROR, O.PAUSED):
            return O.APPROVED, None
        if order_status in TERMINAL_ORDER:
            return None, f"approved_after_{order_status}"
        return None, None
    if payment_status == P.ERROR and order_status == O.PENDING:
        return O.ERROR, None
    if payment_status == P.CANCELLED and order_status == O.PENDING:
        return O.CANCELLED, None
    if payment_status == P.DISPUTE_LOST and order_status in (O.APPROVED, O.PAUSED):
        return O.DISPUTE_LOST, None
    return None, None


def line_after_approved(line_status: str) -> str | None:
    """The line status an approved charge moves to (None: unchanged; an approved line's
    period advances instead)."""
    return L.APPROVED if line_status in (L.PENDING, L.PAUSED) else None


def line_after_cancelled_row(line_status: str) -> str | None:
    return L.CANCELLED if line_status == L.PENDING else None


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months later, clamped to the end of a shorter month (Jan 31 + 1 = Feb 28/29)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def term_months(interval: str | None, interval_count: int | None) -> int:
    """Months one recurring term lasts (a year is 12)."""
    return (12 if interval == "year" else 1) * (interval_count or 1)
