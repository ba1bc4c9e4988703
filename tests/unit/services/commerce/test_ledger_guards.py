"""Frozen payment columns, refused deletes and immutable order fields, guarded in the ORM and
in the database on PostgreSQL and SQLite (spec 30 §3.1, §5.4; acceptance 8–12, 22–24)."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from app.extensions import db
from app.models.commerce import Order, UserPlan
from app.models.commerce_guards import (
    FrozenOrderField,
    FrozenPaymentField,
    PaymentDeleteForbidden,
    RetiredGatewayType,
)
from services.errors import ValidationError
from services.orders import LineDraft, OrderDraft, create_order
from services.tenancy import tenant_scope
from tests.support.commerce import ACTOR, approve, make_order, make_plan
from tests.test_migrations import flask_db

FROZEN = {
    "status": "refunded",
    "amount_minor": 1,
    "gateway_transaction_id": "other",
    "gateway_key": "k",
    "gateway_status": "x",
    "sale_type": "single",
    "plan_type": "single",
    "recurring_cycle": 9,
    "currency": "EUR",
    "occurred_at": datetime(2020, 1, 1, tzinfo=UTC),
    "sandbox": True,
    "idempotency_key": "0" * 64,
}


@pytest.fixture
def charge(shop):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id, plan=make_plan(tenant.id))
    return approve(order).created[0]


def _savepoint_fails(statement: str, **params) -> None:
    with pytest.raises(DBAPIError) as caught, db.session.begin_nested():
        db.session.execute(text(statement), params)
    assert "insert-only" in str(caught.value) or "immutable" in str(caught.value)


@pytest.mark.parametrize(("column", "value"), list(FROZEN.items()))
def test_orm_refuses_frozen_columns(charge, column, value):
    with pytest.raises(FrozenPaymentField), db.session.begin_nested():
        setattr(charge, column, value)
        db.session.flush()


def test_orm_refuses_deletes_and_allows_the_mutable_columns(charge):
    before = {c: getattr(charge, c) for c in FROZEN}
    with pytest.raises(PaymentDeleteForbidden), db.session.begin_nested():
        db.session.delete(charge)
        db.session.flush()
    db.session.expire_all()
    charge.payment_payload = {"note": "appended"}
    charge.invoice_number = "INV-7"
    charge.email = None
    charge.deleted_at = datetime.now(UTC)
    db.session.flush()
    db.session.expire_all()
    assert {c: getattr(charge, c) for c in FROZEN} == before
    assert charge.invoice_number == "INV-7"


def test_database_refuses_raw_updates_and_deletes(charge, is_postgres):
    if not is_postgres:
        pytest.skip("the SQLite triggers are checked below on a migrated file")
    for column in ("status", "amount_minor", "recurring_cycle", "gateway_status"):
        value = FROZEN[column]
        _savepoint_fails(f"UPDATE payments SET {column} = :v WHERE id = :id", v=value, id=charge.id)
    _savepoint_fails("DELETE FROM payments WHERE id = :id", id=charge.id)
    db.session.execute(
        text("UPDATE payments SET invoice_number = 'INV-1', deleted_at = now() WHERE id = :id"),
        {"id": charge.id},
    )


def test_order_immutable_fields(shop, is_postgres):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id)
    with pytest.raises(FrozenOrderField), db.session.begin_nested():
        order.sandbox = True
        db.session.flush()
    db.session.expire_all()
    if is_postgres:
        for column, value in (("sandbox", True), ("type", "report")):
            _savepoint_fails(
                f"UPDATE orders SET {column} = :v WHERE id = :id", v=value, id=order.id
            )
    order.review_reason = "looked"
    db.session.flush()


def test_paypal_orders_are_refused_but_history_loads(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id)
    draft = OrderDraft(tenant.id, reader.id, "paypal", (LineDraft(reader.id, plan.id),), ACTOR)
    with pytest.raises(ValidationError):
        create_order(draft)
    with pytest.raises(RetiredGatewayType), db.session.begin_nested():
        db.session.add(
            Order(
                tenant_id=tenant.id,
                user_id=reader.id,
                type="sale",
                status="approved",
                gateway_type="paypal",
                sandbox=False,
                currency="USD",
                amount_minor=100,
            )
        )
        db.session.flush()
    order_id = (
        db.session.execute(
            text(
                "INSERT INTO orders (uuid, tenant_id, user_id, type, status, gateway_type, sandbox,"
                " currency, amount_minor, created_at, updated_at) VALUES (:u, :t, :r, 'sale',"
                " 'approved', 'paypal', false, 'USD', 990, now(), now()) RETURNING id"
            ),
            {"u": uuid.uuid4(), "t": tenant.id, "r": reader.id},
        ).scalar_one()
        if db.session.get_bind().dialect.name == "postgresql"
        else None
    )
    if order_id:
        assert db.session.get(Order, order_id).gateway_type == "paypal"


def test_status_check_constraint(shop, is_postgres):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id)
    with pytest.raises((IntegrityError, StatementError, LookupError)), db.session.begin_nested():
        db.session.execute(
            text("UPDATE orders SET status = 'lost' WHERE id = :id"), {"id": order.id}
        )


def test_line_must_name_a_plan_or_a_publication_not_both(shop):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id)
    line = order.lines[0]
    for plan_id, publication_id in ((None, None), (line.plan_id, 1)):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(
                UserPlan(
                    tenant_id=tenant.id,
                    order_id=order.id,
                    user_id=reader.id,
                    plan_id=plan_id,
                    publication_id=publication_id,
                    gateway_type="stripe",
                    kind="recurring",
                    status="pending",
                    currency="USD",
                )
            )
            db.session.flush()


def test_orders_without_lines_are_refused(shop):
    tenant, reader = shop
    draft = OrderDraft(tenant.id, reader.id, "manual", (), ACTOR)
    with pytest.raises(ValidationError):
        create_order(draft)


def test_a_three_item_cart_is_one_order_with_three_lines(shop):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id, plans=[make_plan(tenant.id) for _ in range(3)])
    assert len(order.lines) == 3
    assert {line.order_id for line in order.lines} == {order.id}


def test_gateway_key_unique_per_tenant(shop, tenant_factory, user_factory):
    tenant, reader = shop
    first, second = make_order(tenant.id, reader.id), make_order(tenant.id, reader.id)
    make_order(tenant.id, reader.id)  # NULL keys never collide
    first.gateway_key = "sub_1"
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        second.gateway_key = "sub_1"
        db.session.flush()
    other = tenant_factory(status="active")
    buyer = user_factory(tenant=other)
    with tenant_scope(other.id):
        make_order(other.id, buyer.id).gateway_key = "sub_1"  # another tenant may hold it
        db.session.flush()


def test_sqlite_triggers_guard_the_ledger(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    result = flask_db(url, "upgrade")
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(tmp_path / "ledger.db")
    conn.execute(
        "INSERT INTO payments (uuid, tenant_id, order_id, gateway_type, status, amount_minor,"
        " currency, sale_type, plan_type, recurring_cycle, occurred_at, sandbox,"
        " idempotency_key, payment_payload, created_at, updated_at) VALUES ('u', 1, 1,"
        " 'stripe', 'approved', 100, 'USD', 'single', 'single', 1, '2026-01-01', 0,"
        " 'k', '{}', '2026-01-01', '2026-01-01')"
    )
    conn.execute(
        "INSERT INTO orders (uuid, tenant_id, user_id, type, status, gateway_type, sandbox,"
        " currency, amount_minor, created_at, updated_at) VALUES ('o', 1, 1, 'sale',"
        " 'approved', 'stripe', 0, 'USD', 1, '2026-01-01', '2026-01-01')"
    )
    for statement in (
        "UPDATE payments SET status = 'refunded'",
        "UPDATE payments SET amount_minor = 1",
        "DELETE FROM payments",
        "UPDATE orders SET sandbox = 1",
    ):
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute(statement)
    conn.execute("UPDATE payments SET invoice_number = 'INV', deleted_at = '2026-02-01'")
    conn.execute("UPDATE orders SET status = 'cancelled'")
    assert conn.execute("SELECT status, amount_minor FROM payments").fetchone() == ("approved", 100)
