"""The ledger's write path and its side effects (spec 30 §5–§7; acceptance 14–21, 25–38)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity
from app.models.commerce import Payment
from services import entitlements, ledger
from services.ledger import LedgerRefused, PaymentPart, record_payment
from tests.support.commerce import (
    approve,
    event,
    make_order,
    make_plan,
    make_publication,
    refund,
)

SHIPPING = {
    "carrier": {
        "uuid": "6b1f0c52-7c55-4a47-9d4a-0c7b6f0a9e11",
        "type": "delivery",
        "title": "Post",
        "state_code": None,
        "address": None,
    },
    "recipient": {"name": "R", "phone": "1", "email": "r@example.com"},
    "address": {
        "line1": "A 1",
        "line2": "",
        "city": "X",
        "state_code": "AR-C",
        "postal_code": "1",
        "country": "AR",
    },
    "price": {"per_shipment_minor": 200, "shipments": 1, "amount_minor": 200, "currency": "USD"},
    "interval": "month",
    "interval_count": 1,
}


def rows(order) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.order_id == order.id)))


def frozen(row: Payment) -> dict:
    return {c.key: getattr(row, c.key) for c in Payment.__table__.columns}


@pytest.fixture
def order(shop):
    tenant, reader = shop
    return make_order(tenant.id, reader.id, plan=make_plan(tenant.id, prices={"USD": 10000}))


def test_duplicate_delivery_is_one_row_and_no_second_side_effect(order):
    first = approve(order)
    activities = db.session.scalar(select(func.count(Activity.id)))
    period_end = order.lines[0].current_period_end
    second = approve(order)
    assert (first.outcome, second.outcome) == ("created", "duplicate")
    assert len(rows(order)) == 1
    assert second.duplicates[0].id == first.created[0].id
    assert order.lines[0].current_period_end == period_end
    assert db.session.scalar(select(func.count(Activity.id))) == activities


def test_pending_then_approved_is_two_rows_and_the_pending_row_is_untouched(order):
    pending = approve(order, status="pending").created[0]
    before = frozen(pending)
    assert order.status == "pending"
    approve(order)
    db.session.flush()
    db.session.refresh(pending)
    assert frozen(pending) == before
    assert sorted(r.status for r in rows(order)) == ["approved", "pending"]
    assert order.status == "approved"


def test_late_pending_after_approval_changes_nothing(order):
    approve(order)
    late = approve(order, status="pending")
    assert late.outcome == "created"
    assert order.status == "approved" and order.lines[0].status == "approved"


def test_approved_after_refund_flags_the_order(order):
    charge = approve(order).created[0]
    refund(order, charge, 10000)
    assert order.status == "refunded"
    approve(order, txn="ch_2")
    assert order.status == "refunded"
    assert order.review_reason == "approved_after_refunded"
    assert len(rows(order)) == 3


def test_idempotency_key_is_the_sha256_of_the_seven_parts(order):
    row = approve(order).created[0]
    parts = [
        str(order.gateway_id),
        str(order.tenant_id),
        "ch_1",
        "",
        "approved",
        str(order.id),
        str(order.lines[0].id),
    ]
    expected = hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()
    assert row.idempotency_key == expected


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("manual", "order_type_without_payments"),
        ("bulk", "order_type_without_payments"),
        ("totalDiscountCoupon", "order_type_without_payments"),
    ],
)
def test_orders_without_payments_refuse_rows(shop, kind, code):
    tenant, reader = shop
    grant = make_order(tenant.id, reader.id, gateway_type=kind)
    assert (grant.status, grant.amount_minor) == ("approved", 0)
    with pytest.raises(LedgerRefused) as caught:
        approve(grant, amount=0)
    assert caught.value.code == code
    assert rows(grant) == []


def test_refusals_insert_nothing(order, shop):
    tenant, reader = shop
    other = make_order(tenant.id, reader.id)
    cases = [
        (
            event(order, "approved", [PaymentPart(order.lines[0].id, 10000)], currency="EUR"),
            "currency_mismatch",
        ),
        (event(order, "approved", [PaymentPart(other.lines[0].id, 10000)]), "line_not_in_order"),
        (event(order, "approved", [PaymentPart(order.lines[0].id, -1)]), "invalid_amount"),
        (
            event(order, "approved", [PaymentPart(order.lines[0].id, 1)], gateway_type="paypal"),
            "gateway_type_retired",
        ),
        (
            event(order, "approved", [PaymentPart(order.lines[0].id, 1)], order_id=10**9),
            "order_not_found",
        ),
        (
            event(order, "approved", [PaymentPart(None, 100)], txn="lonely"),
            "shipping_without_product",
        ),
        (
            event(
                order,
                "refunded",
                [PaymentPart(order.lines[0].id, 100)],
                charge_transaction_id="nope",
            ),
            "refund_target_missing",
        ),
    ]
    for bad, code in cases:
        with pytest.raises(LedgerRefused) as caught:
            record_payment(bad)
        assert caught.value.code == code
    assert rows(order) == [] and order.status == "pending"


def test_cycles_count_up_or_follow_the_gateway(order):
    first = approve(order, txn="ch_1").created[0]
    second = approve(order, txn="ch_2").created[0]
    supplied = approve(order, txn="ch_7", cycle=7).created[0]
    after = approve(order, txn="ch_8").created[0]
    assert [
        first.recurring_cycle,
        second.recurring_cycle,
        supplied.recurring_cycle,
        after.recurring_cycle,
    ] == [1, 2, 7, 8]
    reversal = refund(order, second, 100).created[0]
    assert reversal.recurring_cycle == 2
    assert reversal.refers_to_payment_id == second.id


def test_recurring_period_advances_per_charge(order):
    start = datetime(2026, 1, 31, 12, tzinfo=UTC)
    approve(order, occurred_at=start)
    line = order.lines[0]
    assert line.starts_at == start
    assert line.current_period_end == datetime(2026, 2, 28, 12, tzinfo=UTC)
    approve(order, txn="ch_2", occurred_at=start + timedelta(days=28))
    assert line.current_period_end == datetime(2026, 3, 28, 12, tzinfo=UTC)


def test_balances_sum_the_ledger(order):
    charge = approve(order).created[0]
    approve(order, txn="p", status="pending")
    approve(order, txn="e", status="error")
    assert ledger.order_balance(order.tenant_id, order.id).total.net == 10000
    refund(order, charge, 3000)
    balance = ledger.order_balance(order.tenant_id, order.id)
    assert (balance.total.approved, balance.total.refunded, balance.total.net) == (
        10000,
        3000,
        7000,
    )
    assert balance.lines[order.lines[0].id][1].net == 7000
    assert ledger.refundable_minor(charge) == 7000
    assert ledger.nets_for_orders(order.tenant_id, [order.id]) == {order.id: 7000}
    refund(order, charge, 7000, refund_id="re_2")
    assert ledger.order_balance(order.tenant_id, order.id).total.net == 0


def test_soft_deleted_rows_count_nowhere(order):
    charge = approve(order).created[0]
    charge.deleted_at = datetime.now(UTC)
    db.session.flush()
    assert ledger.order_balance(order.tenant_id, order.id).total.net == 0
    assert ledger.refundable_minor(charge) == 0
    assert approve(order).outcome == "duplicate"  # a replay keeps its key


def test_refund_above_the_remainder_is_refused(order):
    charge = approve(order).created[0]
    refund(order, charge, 6000)
    with pytest.raises(LedgerRefused) as caught:
        refund(order, charge, 4001, refund_id="re_2")
    assert caught.value.code == "refund_exceeds_approved"
    assert len(rows(order)) == 2


def test_two_equal_partial_refunds_with_distinct_ids_are_two_rows(order):
    charge = approve(order).created[0]
    refund(order, charge, 2500, refund_id="re_a")
    refund(order, charge, 2500, refund_id="re_b")
    assert sorted(r.gateway_transaction_id for r in rows(order)) == ["ch_1", "re_a", "re_b"]


@pytest.fixture
def single(shop):
    tenant, reader = shop
    publication = make_publication(tenant.id)
    order = make_order(tenant.id, reader.id, publication_id=publication.id)
    return order, reader, publication


def test_full_refund_of_a_single_purchase_ends_access(single):
    order, reader, publication = single
    charge = approve(order).created[0]
    assert entitlements.has_access(reader, publication)
    result = refund(order, charge, 500)
    line = order.lines[0]
    assert len(result.created) == 1
    assert (line.status, line.refund_status, order.status) == ("cancelled", "refunded", "refunded")
    assert abs((line.access_until - datetime.now(UTC)).total_seconds()) < 60
    assert not entitlements.has_access(reader, publication)


def test_partial_refund_keeps_access(single):
    order, reader, publication = single
    charge = approve(order).created[0]
    refund(order, charge, 200)
    line = order.lines[0]
    assert (line.status, line.refund_status, order.status) == (
        "approved",
        "partially_refunded",
        "approved",
    )
    assert entitlements.has_access(reader, publication)
    refund(order, charge, 300, refund_id="re_2")
    assert (line.status, line.refund_status, order.status) == ("cancelled", "refunded", "refunded")


def test_refunding_an_older_cycle_keeps_access_the_latest_ends_it(order):
    first = approve(order, txn="ch_1").created[0]
    second = approve(order, txn="ch_2").created[0]
    refund(order, first, 10000, refund_id="re_1")
    line = order.lines[0]
    assert (line.status, line.refund_status) == ("approved", "partially_refunded")
    refund(order, second, 10000, refund_id="re_2")
    assert (line.status, line.refund_status, order.status) == ("cancelled", "refunded", "refunded")


def test_dispute_lost_ends_access(order):
    charge = approve(order).created[0]
    refund(order, charge, 10000, refund_id="dp_1", status="dispute_lost")
    line = order.lines[0]
    assert order.status == "dispute_lost"
    assert line.status == "cancelled" and line.access_until is not None
    assert ledger.order_balance(order.tenant_id, order.id).total.disputed == 10000


@pytest.fixture
def physical(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id, prices={"USD": 3000}, physical=True)
    return make_order(
        tenant.id, reader.id, plan=plan, shipping_information=SHIPPING, amount_minor=3200
    )


def test_product_and_shipping_rows_both_persist_and_replays_are_duplicates(physical):
    result = approve(physical, shipping_minor=200, cycle=3)
    assert result.outcome == "created"
    product, shipping = sorted(result.created, key=lambda r: r.user_plan_id is None)
    assert (shipping.user_plan_id, shipping.sale_type, shipping.plan_type) == (
        None,
        "shipping",
        "shipping",
    )
    assert shipping.recurring_cycle == product.recurring_cycle == 3
    shipping_only = record_payment(
        event(physical, "approved", [PaymentPart(None, 200)], recurring_cycle=3)
    )
    assert shipping_only.outcome == "duplicate"
    assert len(rows(physical)) == 2


def test_full_refund_of_a_physical_charge_and_a_shipping_only_refund(physical):
    product, shipping = sorted(
        approve(physical, shipping_minor=200).created, key=lambda r: r.user_plan_id is None
    )
    only = refund(physical, shipping, 200, refund_id="re_ship")
    line = physical.lines[0]
    assert only.created[0].user_plan_id is None
    assert line.status == "approved" and line.refund_status is None
    parts = [PaymentPart(line.id, 3000, product.id)]
    full = record_payment(event(physical, "refunded", parts, txn="re_all", source="refund"))
    assert len(full.created) == 1
    assert line.status == "cancelled" and physical.status == "refunded"
    balance = ledger.order_balance(physical.tenant_id, physical.id)
    assert (balance.product_total.net, balance.shipping_total.net) == (0, 0)


def test_receipts_and_refund_confirmations_are_mailed_after_commit(order):
    from services import mail

    mail.outbox.clear()
    charge = approve(order).created[0]
    db.session.commit()
    refund(order, charge, 2500)
    db.session.commit()
    approve(order)  # a replay sends nothing
    db.session.commit()
    subjects = [m["subject"] for m in mail.outbox]
    assert len(subjects) == 2
    assert "payment" in subjects[0] and "refunded $25.00" in subjects[1]
    assert mail.outbox[0]["to"] == order.user.email
