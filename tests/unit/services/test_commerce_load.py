"""Synthetic commerce volume (`commerce seed-load`): exact counts, valid keys and derived types,
reversals that point at their charge, and a refusal outside development and test."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.commerce import Order, Payment, Plan, UserPlan
from app.models.tenancy import User
from services import commerce_load, ledger_bulk
from services.errors import PermissionDenied, ValidationError
from services.ledger_rows import key_of


def count(model, tenant_id: int) -> int:
    return db.session.scalar(select(func.count(model.id)).where(model.tenant_id == tenant_id))


@pytest.fixture
def loaded(shop):
    tenant, _ = shop
    result = commerce_load.load(tenant.id, 200, 1_000, "test")
    return tenant, result


def test_a_small_load_writes_exactly_what_was_asked(loaded):
    tenant, result = loaded
    assert (result.orders, result.payments) == (200, 1_000)
    assert count(Order, tenant.id) == 200
    assert count(UserPlan, tenant.id) == 200
    assert count(Payment, tenant.id) == 1_000
    statuses = set(db.session.scalars(select(Order.status).where(Order.tenant_id == tenant.id)))
    assert {"approved", "pending", "cancelled", "refunded"} <= statuses
    sources = set(db.session.scalars(select(Order.gateway_type)))
    assert {"stripe", "mercadopago", "manual", "bulk"} <= sources


def test_every_row_carries_the_key_and_types_the_ledger_would_give_it(loaded):
    tenant, _ = loaded
    rows = list(db.session.scalars(select(Payment).where(Payment.tenant_id == tenant.id)))
    assert all(row.idempotency_key == key_of(row) for row in rows)
    lines = {line.id: line for line in db.session.scalars(select(UserPlan))}
    expected_sale = {"recurring": "subscription", "prepaid": "prepaid", "external": "external"}
    for row in rows:
        line = lines[row.user_plan_id]
        assert row.sale_type == expected_sale[line.kind]
        assert row.plan_type == line.plan.type
        assert row.email is not None and row.occurred_at is not None


def test_reversals_point_at_an_approved_charge_of_their_line_within_its_amount(loaded):
    tenant, _ = loaded
    rows = {row.id: row for row in db.session.scalars(select(Payment))}
    reversals = [r for r in rows.values() if r.status in ("refunded", "dispute_lost")]
    assert reversals
    reversed_total: dict[int, int] = {}
    for row in reversals:
        charge = rows[row.refers_to_payment_id]
        assert charge.status == "approved" and charge.user_plan_id == row.user_plan_id
        assert row.recurring_cycle == charge.recurring_cycle
        reversed_total[charge.id] = reversed_total.get(charge.id, 0) + row.amount_minor
    assert all(total <= rows[cid].amount_minor for cid, total in reversed_total.items())


def test_the_detail_order_has_sixty_rows(loaded):
    _, result = loaded
    order = db.session.scalar(select(Order).where(Order.uuid == result.detail_order_uuid))
    rows = db.session.scalar(select(func.count(Payment.id)).where(Payment.order_id == order.id))
    assert rows == commerce_load.DETAIL_ROWS == 60


def test_a_second_load_reuses_plans_gateways_and_readers(loaded):
    tenant, result = loaded
    plans, users = count(Plan, tenant.id), count(User, tenant.id)
    commerce_load.load(tenant.id, 100, 500, "test")
    assert count(Plan, tenant.id) == plans and count(User, tenant.id) == users
    assert count(Order, tenant.id) == 300 and count(Payment, tenant.id) == 1_500


def test_refused_outside_development_and_test(shop):
    tenant, _ = shop
    with pytest.raises(PermissionDenied):
        commerce_load.load(tenant.id, 10, 100, "production")
    with pytest.raises(PermissionDenied):
        ledger_bulk.insert_history([], env="production")
    assert count(Order, tenant.id) == 0 and count(Payment, tenant.id) == 0


def test_too_few_payments_for_the_orders_is_refused(shop):
    tenant, _ = shop
    with pytest.raises(ValidationError):
        commerce_load.load(tenant.id, 500, 61, "test")
