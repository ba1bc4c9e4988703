"""The subscriptions list (spec 30 §10.3; acceptance 66)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.extensions import db
from app.models.base import utcnow
from services.errors import ValidationError
from services.subscription_queries import SubscriptionFilters, list_subscriptions, plan_choices
from tests.support.commerce import approve, make_order, make_plan, make_publication, refund


def at(month: int, day: int = 5) -> datetime:
    return datetime(2024, month, day, 12, tzinfo=UTC)


def line_of(order):
    return order.lines[0]


def listed(tenant, **filters) -> list:
    return [row.uuid for row in list_subscriptions(tenant.id, SubscriptionFilters(**filters)).rows]


@pytest.fixture
def book(shop, user_factory):
    """A store with a monthly subscription charged twice, a prepaid MercadoPago plan, an annual
    Yuno plan, and lines that are not subscriptions."""
    tenant, reader = shop
    ana = user_factory(tenant=tenant, email="ana@example.com")
    monthly = make_plan(tenant.id, name="Monthly", prices={"USD": 1000})
    prepaid = make_plan(tenant.id, name="Prepaid", type="prepaid", duration_months=12)
    annual = make_plan(tenant.id, name="Annual", interval="year", prices={"USD": 9900})
    sub = make_order(tenant.id, ana.id, plan=monthly)
    approve(sub, txn="c1", occurred_at=at(1), cycle=1)
    approve(sub, txn="c2", occurred_at=at(2), cycle=2, amount=1200)
    mp = make_order(tenant.id, reader.id, plan=prepaid, gateway_type="mercadopago")
    approve(mp, txn="m1", occurred_at=at(3))
    yuno = make_order(tenant.id, reader.id, plan=annual, gateway_type="yuno")
    approve(yuno, txn="y1", occurred_at=at(4))
    # Not subscriptions: PayU, a grant, a single purchase, an unpaid checkout.
    approve(make_order(tenant.id, reader.id, plan=monthly, gateway_type="payu"), txn="p1")
    make_order(tenant.id, reader.id, plan=monthly, gateway_type="manual")
    publication = make_publication(tenant.id, "Atlas")
    approve(make_order(tenant.id, reader.id, publication_id=publication.id), txn="s1")
    make_order(tenant.id, reader.id, plan=monthly)
    return tenant, {"sub": sub, "mp": mp, "yuno": yuno}, {"monthly": monthly, "annual": annual}


def test_only_recurring_and_prepaid_lines_of_gateway_sales_are_listed(book):
    tenant, orders, _ = book
    assert set(listed(tenant)) == {line_of(o).uuid for o in orders.values()}


def test_rows_carry_payments_last_payment_amount_and_next_charge(book):
    tenant, orders, _ = book
    rows = {row.uuid: row for row in list_subscriptions(tenant.id, SubscriptionFilters()).rows}
    sub = rows[line_of(orders["sub"]).uuid]
    assert (sub.payments, sub.last_payment_at, sub.amount_minor) == (2, at(2), 1200)
    assert sub.next_charge == line_of(orders["sub"]).current_period_end is not None
    assert (sub.status_label, sub.interval_label, sub.plan_name) == ("Active", "monthly", "Monthly")
    prepaid = rows[line_of(orders["mp"]).uuid]
    assert prepaid.interval_label == "prepaid" and prepaid.next_charge is None
    assert prepaid.valid_to == line_of(orders["mp"]).expires_at is not None
    assert rows[line_of(orders["yuno"]).uuid].interval_label == "annual"


def test_refunds_and_voided_rows_do_not_count_as_payments(book):
    tenant, orders, _ = book
    sub = orders["sub"]
    charges = sorted(
        (p for p in sub_payments(sub) if p.status == "approved"), key=lambda p: p.occurred_at
    )
    charges[1].deleted_at = utcnow()
    db.session.flush()
    refund(sub, charges[0], 1000)
    row = next(
        r
        for r in list_subscriptions(tenant.id, SubscriptionFilters()).rows
        if r.uuid == line_of(sub).uuid
    )
    assert (row.payments, row.last_payment_at, row.amount_minor) == (1, at(1), 1000)


def sub_payments(order):
    from sqlalchemy import select

    from app.models.commerce import Payment

    return db.session.scalars(select(Payment).where(Payment.order_id == order.id)).all()


def test_a_fully_refunded_latest_charge_shows_refunded(book):
    tenant, orders, _ = book
    charge = approve(orders["yuno"], txn="y1", occurred_at=at(4)).duplicates[0]
    refund(orders["yuno"], charge, charge.amount_minor)
    rows = list_subscriptions(tenant.id, SubscriptionFilters(status="refunded")).rows
    assert [(r.uuid, r.status_label, r.valid_to is not None) for r in rows] == [
        (line_of(orders["yuno"]).uuid, "Refunded", True)
    ]
    assert line_of(orders["yuno"]).uuid not in listed(tenant, status="cancelled")
    assert line_of(orders["yuno"]).uuid not in listed(tenant, status="active")


def test_filters_by_status_plan_interval_gateway_start_and_email(book):
    tenant, orders, plans = book
    sub, mp, yuno = (line_of(orders[k]).uuid for k in ("sub", "mp", "yuno"))
    assert set(listed(tenant, status="active")) == {sub, mp, yuno}
    assert listed(tenant, plan=plans["annual"].uuid) == [yuno]
    assert listed(tenant, interval="monthly") == [sub]
    assert listed(tenant, interval="annual") == [yuno]
    assert listed(tenant, interval="prepaid") == [mp]
    assert listed(tenant, interval="every_n_months") == []
    assert listed(tenant, gateway="mercadopago") == [mp]
    assert listed(tenant, q="ANA@ex") == [sub]
    # A line starts with its first approved charge (March for MercadoPago, April for Yuno).
    assert set(listed(tenant, start_from=date(2024, 3, 1))) == {mp, yuno}
    assert listed(tenant, start_from=date(2024, 3, 1), start_to=date(2024, 3, 31)) == [mp]
    assert listed(tenant, start_to=date(2024, 1, 31)) == [sub]


def test_sandbox_lines_are_hidden_unless_asked(shop):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id, gateway_type="yuno", sandbox=True)
    approve(order, txn="sb")
    assert listed(tenant) == []
    assert listed(tenant, sandbox="only") == [line_of(order).uuid]


def test_keyset_pages_cover_every_line_once(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id)
    made = []
    for n in range(55):
        order = make_order(tenant.id, reader.id, plan=plan)
        approve(order, txn=f"k{n}")
        line_of(order).created_at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
        made.append(line_of(order).uuid)
    db.session.flush()
    first = list_subscriptions(tenant.id, SubscriptionFilters())
    second = list_subscriptions(tenant.id, SubscriptionFilters(), after=first.page.next_cursor)
    seen = [r.uuid for r in first.rows + second.rows]
    assert seen == made[::-1] and second.page.next_cursor is None


@pytest.mark.parametrize(
    "filters",
    [{"status": "pending"}, {"interval": "weekly"}, {"gateway": "payu"}, {"sandbox": "?"}],
)
def test_values_outside_the_lists_are_validation_errors(filters):
    with pytest.raises(ValidationError):
        SubscriptionFilters(**filters)


def test_plan_choices_name_recurring_and_prepaid_plans(book):
    tenant, _, plans = book
    external = make_plan(tenant.id, name="Elsewhere", type="external", duration_months=3)
    names = [name for _, name in plan_choices(tenant.id)]
    assert "Monthly" in names and "Annual" in names and external.name not in names
