"""create_order and the non-payment transitions (spec 30 §3.2–3.4, §4, §6.4, §8.3;
acceptance 14–16, 42–47)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity
from app.models.commerce import Order, Payment, UserPlan
from services import entitlements, order_housekeeping, order_transitions, orders
from services.errors import InvalidState, NotFound, ValidationError
from services.ledger import PaymentPart, record_payment
from services.order_state import IllegalTransition, add_months
from services.orders import LineDraft, OrderDraft, create_order
from tests.support.commerce import (
    ACTOR,
    approve,
    event,
    make_order,
    make_plan,
    make_publication,
)


def test_grants_are_approved_free_permissions_with_activity(shop):
    tenant, reader = shop
    for source in ("manual", "bulk", "lti", "saml"):
        order = make_order(tenant.id, reader.id, gateway_type=source, external_reference=source)
        line = order.lines[0]
        assert (order.type, order.status, order.amount_minor) == ("permission", "approved", 0)
        assert (line.status, line.gateway_type) == ("approved", source)
        assert line.starts_at is not None
    actions = dict(
        db.session.execute(select(Activity.action, func.count()).group_by(Activity.action)).all()
    )
    assert actions["order.created"] == 4 and actions["user_plan.assigned"] == 4
    assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_staff_sources_and_amount_rules(shop):
    tenant, reader = shop
    staff = make_order(tenant.id, reader.id, gateway_type="manual", staff=True)
    assert staff.type == "internal"
    external = make_plan(tenant.id, type="external", duration_months=12)
    report = make_order(tenant.id, reader.id, gateway_type="external", plan=external)
    assert (report.type, report.status, report.amount_minor) == ("report", "approved", 1000)
    line = report.lines[0]
    assert line.kind == "external"
    assert line.expires_at == add_months(line.starts_at, 12)
    recorded = make_order(tenant.id, reader.id, gateway_type="external", plan=external, staff=True)
    assert recorded.type == "internal_report"
    with pytest.raises(ValidationError):
        make_order(tenant.id, reader.id, gateway_type="manual", amount_minor=100)
    with pytest.raises(ValidationError):
        make_order(tenant.id, reader.id, gateway_type="manual", plan=external)


def test_external_order_gets_exactly_one_row_from_sync(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id, type="external", duration_months=6)
    order = make_order(tenant.id, reader.id, gateway_type="external", plan=plan)
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    sync = event(
        order,
        "approved",
        [PaymentPart(order.lines[0].id, order.amount_minor)],
        txn=f"external-{order.uuid}",
        gateway_id=None,
        source="external",
    )
    assert record_payment(sync).outcome == "created"
    assert record_payment(sync).outcome == "duplicate"
    assert db.session.scalar(select(func.count(Payment.id))) == 1
    assert order.status == "approved"


def test_coupon_orders_are_approved_sales_without_rows(shop):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id, gateway_type="totalDiscountCoupon")
    assert (order.type, order.status, order.amount_minor) == ("sale", "approved", 0)


def test_gateway_orders_take_sandbox_from_the_gateway(shop):
    tenant, reader = shop
    live = make_order(tenant.id, reader.id)
    assert (live.type, live.status, live.sandbox) == ("sale", "pending", False)
    draft = OrderDraft(tenant.id, reader.id, "mercadopago", (LineDraft(reader.id, 1),), ACTOR)
    with pytest.raises(ValidationError):
        create_order(draft)  # a gateway order needs its gateway row


def test_unknown_targets_are_refused(shop, tenant_factory, user_factory):
    tenant, reader = shop
    with pytest.raises(NotFound):
        make_order(tenant.id, reader.id, gateway_type="manual", publication_id=10**9)


def test_single_purchase_grants_the_publication(shop):
    tenant, reader = shop
    publication = make_publication(tenant.id)
    assert not entitlements.has_access(reader, publication)
    order = make_order(tenant.id, reader.id, publication_id=publication.id)
    assert not entitlements.has_access(reader, publication)  # pending grants nothing
    approve(order)
    assert entitlements.has_access(reader, publication)
    assert entitlements.active_line_for(tenant.id, reader.id, publication_id=publication.id)


def test_cancelling_a_prepaid_or_manual_line_ends_access_now(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id, type="prepaid", duration_months=12)
    order = make_order(tenant.id, reader.id, gateway_type="manual", plan=plan)
    line = order.lines[0]
    assert entitlements.line_grants_access(line)
    orders.cancel_line(line, ACTOR, "left the school")
    assert line.status == "cancelled" and not entitlements.line_grants_access(line)
    assert order.status == "cancelled"
    with pytest.raises(IllegalTransition):
        orders.cancel_line(line, ACTOR, "again")
    with pytest.raises(ValidationError):
        orders.cancel_line(
            make_order(tenant.id, reader.id, gateway_type="manual").lines[0], ACTOR, " "
        )


@pytest.fixture
def gateway_calls():
    calls = []

    def ok(order, line):
        calls.append(("ok", order.id))

    for action in ("cancel", "pause", "resume"):
        order_transitions.register_gateway_action(action, "stripe", ok)
    yield calls
    for action in ("cancel", "pause", "resume"):
        order_transitions.unregister_gateway_action(action, "stripe")


def test_cancelling_a_subscription_keeps_access_to_the_period_end(shop, gateway_calls):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id, plan=make_plan(tenant.id))
    approve(order)
    line = order.lines[0]
    orders.cancel_line(line, ACTOR, "too expensive")
    assert gateway_calls == [("ok", order.id)]
    assert line.access_until == line.current_period_end > datetime.now(UTC)
    assert entitlements.line_grants_access(line)
    assert db.session.scalar(select(func.count(Payment.id))) == 1


def test_a_failing_gateway_cancel_changes_nothing(shop):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id, plan=make_plan(tenant.id))
    approve(order)

    def fail(order, line):
        raise InvalidState("Stripe said no")

    order_transitions.register_gateway_action("cancel", "stripe", fail)
    try:
        with pytest.raises(InvalidState):
            orders.cancel_line(order.lines[0], ACTOR, "too expensive")
    finally:
        order_transitions.unregister_gateway_action("cancel", "stripe")
    assert order.lines[0].status == "approved" and order.status == "approved"


def test_pause_denies_access_and_resume_restores_it(shop, gateway_calls):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id, plan=make_plan(tenant.id))
    approve(order)
    orders.pause(order, ACTOR)
    assert (order.status, order.lines[0].status) == ("paused", "paused")
    assert not entitlements.line_grants_access(order.lines[0])
    orders.resume(order, ACTOR)
    assert (order.status, order.lines[0].status) == ("approved", "approved")
    assert entitlements.line_grants_access(order.lines[0])


def test_trial_start_and_checkout_expiry(shop):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id, plan=make_plan(tenant.id, free_trial_days=14))
    line = orders.start_trial(order.lines[0], 14, ACTOR)
    assert (line.status, order.status) == ("approved", "approved")
    assert line.trial_ends_at == line.current_period_end
    other = make_order(tenant.id, reader.id)
    orders.expire_pending(other, "checkout")
    assert (other.status, other.lines[0].status) == ("expired", "cancelled")


def test_expiry_is_enforced_at_read_time_and_by_the_job(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id, type="prepaid", duration_months=1)
    past = datetime.now(UTC) - timedelta(days=1)
    ended = make_order(tenant.id, reader.id, gateway_type="manual", plan=plan)
    ended.lines[0].expires_at = past
    cancelled = make_order(tenant.id, reader.id, gateway_type="manual", plan=plan)
    orders.cancel_line(cancelled.lines[0], ACTOR, "gone")
    cancelled.lines[0].expires_at = past
    running = make_order(tenant.id, reader.id, gateway_type="manual", plan=plan)
    db.session.flush()
    assert not entitlements.line_grants_access(ended.lines[0])
    assert order_housekeeping.expire_batch(tenant.id) == 1
    assert order_housekeeping.expire_batch(tenant.id) == 0
    db.session.expire_all()
    statuses = [o.lines[0].status for o in (ended, cancelled, running)]
    assert statuses == ["expired", "cancelled", "approved"]


def test_prune_keeps_young_paid_and_approved_orders(shop):
    tenant, reader = shop
    old = datetime.now(UTC) - timedelta(days=200)
    stale = make_order(tenant.id, reader.id)
    paid = make_order(tenant.id, reader.id)
    approve(paid, status="pending")
    young = make_order(tenant.id, reader.id)
    granted = make_order(tenant.id, reader.id, gateway_type="manual")
    for order in (stale, paid, granted):
        order.created_at = old
    db.session.flush()
    stale_id = stale.id
    assert order_housekeeping.prune_batch(tenant.id) == 1
    assert order_housekeeping.prune_batch(tenant.id) == 0
    db.session.expunge_all()
    assert db.session.get(Order, stale_id) is None
    assert (
        db.session.scalar(select(func.count(UserPlan.id)).where(UserPlan.order_id == stale_id)) == 0
    )
    assert {db.session.get(Order, o).status for o in (paid.id, young.id, granted.id)} == {
        "pending",
        "approved",
    }
