"""The demo commerce seed: plans, gateways, a carrier and a history covering every order status,
refunds, a dispute, shipping parts and every grant source, all through the ledger; twice = once."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.commerce import (
    BulkImport,
    Order,
    Payment,
    Plan,
    ShippingCarrier,
    UserPlan,
)
from app.models.gateways import Gateway
from services import activity, seed_commerce, seed_commerce_data
from services.dispatch import PENDING
from services.ledger_rows import key_of
from services.tenancy import context, tenant_scope

ACTOR = activity.Actor(label="seed-demo")
SMALL = seed_commerce_data.SMALL_COUNTS


@pytest.fixture
def demo(platform, tenant_factory):
    """A fresh tenant named like the demo store (which sells physical goods), seeded from the
    platform context as `seed-demo` does; the test reads inside the tenant's scope."""
    tenant = tenant_factory(slug="demo", status="active")
    assert seed_commerce.seed_tenant(ACTOR, tenant.id, SMALL) is True
    with tenant_scope(tenant.id):
        yield tenant


def counts(tenant_id: int) -> dict:
    models = (Order, UserPlan, Payment, Plan, Gateway, ShippingCarrier, BulkImport)
    return {
        model.__name__: db.session.scalar(
            select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
        )
        for model in models
    }


def test_the_history_covers_every_status_and_source(demo):
    statuses = set(db.session.scalars(select(Order.status).where(Order.tenant_id == demo.id)))
    assert statuses == {
        "approved", "pending", "error", "cancelled", "expired", "refunded", "dispute_lost",
    }  # fmt: skip
    sources = set(db.session.scalars(select(Order.gateway_type).where(Order.tenant_id == demo.id)))
    assert sources == {"stripe", "mercadopago", "manual", "bulk", "lti", "saml", "external"}
    rows = set(db.session.scalars(select(Payment.status).where(Payment.tenant_id == demo.id)))
    assert {"approved", "refunded", "dispute_lost", "error", "cancelled"} <= rows
    refunds = set(db.session.scalars(select(UserPlan.refund_status)))
    assert {"refunded", "partially_refunded"} <= refunds
    renewals = db.session.scalar(select(func.max(Payment.recurring_cycle)))
    assert renewals >= 2
    _grants_and_the_bulk_import()


def test_plans_gateways_carrier_and_shipping(demo):
    plans = {p.name: p for p in db.session.scalars(select(Plan).where(Plan.tenant_id == demo.id))}
    monthly, prepaid = plans["Monthly digital"], plans["12 months prepaid"]
    assert (monthly.type, monthly.interval, monthly.interval_count) == ("recurring", "month", 1)
    assert (prepaid.type, prepaid.duration_months) == ("prepaid", 12)
    physical = plans["Annual print + digital"]
    assert physical.physical and physical.interval == "year"
    assert all(plan.prices for plan in plans.values())
    live = db.session.scalars(select(Gateway).where(Gateway.deleted_at.is_(None))).all()
    assert sorted((g.type, g.environment, g.credentials) for g in live) == [
        ("mercadopago", "sandbox", ""),
        ("stripe", "sandbox", ""),
    ]
    carrier = db.session.scalar(select(ShippingCarrier))
    assert carrier.type == "delivery" and carrier.prices[0].amount_minor > 0
    every = db.session.scalars(select(Order).where(Order.tenant_id == demo.id)).all()
    shipped = [order for order in every if order.shipping_information]
    assert len(shipped) == SMALL["physical"]
    snapshot = shipped[0].shipping_information
    assert snapshot["interval"] == "year" and snapshot["price"]["shipments"] == 12
    assert snapshot["carrier"]["title"] and snapshot["address"]["city"]
    parts = db.session.scalars(select(Payment).where(Payment.user_plan_id.is_(None))).all()
    assert parts and {p.sale_type for p in parts} == {"shipping"}
    assert {p.order_id for p in parts} <= {order.id for order in shipped}


def _grants_and_the_bulk_import():
    lti = db.session.scalar(select(Order).where(Order.gateway_type == "lti"))
    saml = db.session.scalar(select(Order).where(Order.gateway_type == "saml"))
    assert (lti.type, lti.status, lti.amount_minor) == ("permission", "approved", 0)
    assert saml.external_reference and lti.external_reference
    imported = db.session.scalar(select(BulkImport))
    bulk = db.session.scalars(select(Order).where(Order.bulk_import_id == imported.id)).all()
    assert len(bulk) == imported.created_count == SMALL["bulk"]
    grant_rows = db.session.scalar(
        select(func.count(Payment.id))
        .join(Order, Order.id == Payment.order_id)
        .where(Order.type == "permission")
    )
    assert grant_rows == 0
    external = db.session.scalar(select(Order).where(Order.gateway_type == "external"))
    assert external.type == "report"
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.order_id == external.id))


def test_the_ledger_verifies_and_the_history_lies_in_the_past(demo):
    rows = db.session.scalars(select(Payment).where(Payment.tenant_id == demo.id)).all()
    assert rows and all(row.idempotency_key == key_of(row) for row in rows)
    queued = [name for name, *_ in db.session.info.get(PENDING, [])]
    assert "mail.send" not in queued  # no receipts for the back-dated history
    oldest = db.session.scalar(select(func.min(Payment.occurred_at)))
    newest = db.session.scalar(select(func.max(Payment.occurred_at)))
    assert (newest - oldest).days > 60
    created = db.session.scalar(select(func.min(Order.created_at)))
    assert created < newest
    live = db.session.scalar(
        select(func.count(Payment.id)).where(
            Payment.tenant_id == demo.id, Payment.sandbox.is_(False)
        )
    )
    assert live > 0


def test_seeding_twice_writes_nothing_new(demo):
    before = counts(demo.id)
    with platform_context():
        assert seed_commerce.seed_tenant(ACTOR, demo.id, SMALL) is False
    assert counts(demo.id) == before


@contextmanager
def platform_context():
    token = context.enter_platform()
    try:
        yield
    finally:
        context.reset_scope(token)
