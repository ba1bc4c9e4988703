"""The order and line state tables, exhaustively (spec 30 §3.3, §4.3, §6.3; acceptance 13)."""

from datetime import UTC, datetime
from itertools import product

import pytest

from app.models.commerce_enums import LineStatus, OrderStatus, PaymentStatus
from services import order_state
from services.order_state import IllegalTransition

ALLOWED_ORDER = {
    ("pending", "approved"),
    ("pending", "cancelled"),
    ("pending", "error"),
    ("pending", "expired"),
    ("error", "approved"),
    ("approved", "refunded"),
    ("approved", "cancelled"),
    ("approved", "paused"),
    ("approved", "dispute_lost"),
    ("paused", "approved"),
    ("paused", "cancelled"),
    # §6.3 and §7 name a paused order as a source of these two.
    ("paused", "refunded"),
    ("paused", "dispute_lost"),
}
ALLOWED_LINE = {
    ("pending", "approved"),
    ("pending", "cancelled"),
    ("approved", "paused"),
    ("approved", "cancelled"),
    ("approved", "expired"),
    ("paused", "approved"),
    ("paused", "cancelled"),
}


@pytest.mark.parametrize(("src", "dst"), list(product(OrderStatus, OrderStatus)))
def test_every_order_pair(src, dst):
    if (src, dst) in ALLOWED_ORDER:
        order_state.check_order(src, dst)
    else:
        with pytest.raises(IllegalTransition) as caught:
            order_state.check_order(src, dst)
        assert (caught.value.from_status, caught.value.to_status) == (src, dst)


@pytest.mark.parametrize(("src", "dst"), list(product(LineStatus, LineStatus)))
def test_every_line_pair(src, dst):
    if (src, dst) in ALLOWED_LINE:
        order_state.check_line(src, dst)
    else:
        with pytest.raises(IllegalTransition):
            order_state.check_line(src, dst)


@pytest.mark.parametrize(
    ("order", "payment", "expected"),
    [
        ("pending", "approved", ("approved", None)),
        ("error", "approved", ("approved", None)),
        ("paused", "approved", ("approved", None)),
        ("approved", "approved", (None, None)),
        ("refunded", "approved", (None, "approved_after_refunded")),
        ("cancelled", "approved", (None, "approved_after_cancelled")),
        ("expired", "approved", (None, "approved_after_expired")),
        ("dispute_lost", "approved", (None, "approved_after_dispute_lost")),
        ("approved", "pending", (None, None)),
        ("pending", "error", ("error", None)),
        ("approved", "error", (None, None)),
        ("pending", "cancelled", ("cancelled", None)),
        ("approved", "cancelled", (None, None)),
        ("approved", "dispute_lost", ("dispute_lost", None)),
        ("paused", "dispute_lost", ("dispute_lost", None)),
        ("pending", "dispute_lost", (None, None)),
    ],
)
def test_order_after_payment(order, payment, expected):
    assert order_state.order_after_payment(order, payment) == expected


def test_every_decided_order_move_is_legal():
    for order, payment in product(OrderStatus, PaymentStatus):
        target, _ = order_state.order_after_payment(order, payment)
        if target is not None:
            order_state.check_order(order, target)


def test_add_months_clamps_to_the_end_of_the_month():
    jan31 = datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert order_state.add_months(jan31, 1) == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert order_state.add_months(jan31, 13) == datetime(2027, 2, 28, 10, tzinfo=UTC)
    assert order_state.add_months(datetime(2027, 11, 30, tzinfo=UTC), 3) == datetime(
        2028, 2, 29, tzinfo=UTC
    )
    assert order_state.term_months("year", 1) == 12
    assert order_state.term_months("month", 3) == 3
