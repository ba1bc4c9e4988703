"""The per-order lock on PostgreSQL with real commits from many threads (spec 30 §6.2;
acceptance 31, 39, 40): replays collapse to one row, refunds never exceed the charge, and
events of different orders never wait on each other."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.commerce import Order, Payment
from services import ledger
from services.ledger import LedgerRefused, PaymentPart
from services.tenancy import context, tenant_scope
from tests.factories import TenantFactory, UserFactory
from tests.support.commerce import event, make_order, make_plan

pytestmark = pytest.mark.committing


@pytest.fixture
def seeded(app, is_postgres):
    if not is_postgres:
        pytest.skip("row locks are PostgreSQL's; SQLite serialises every writer")
    with app.app_context():
        token = context.enter_platform()
        try:
            tenant = TenantFactory(status="active")
            reader = UserFactory(tenant=tenant)
        finally:
            context.reset_scope(token)
        with tenant_scope(tenant.id):
            plan = make_plan(tenant.id, prices={"USD": 10000})
            orders = [make_order(tenant.id, reader.id, plan=plan).id for _ in range(2)]
            db.session.commit()
        db.session.remove()
    return tenant.id, orders


def _in_tenant(app, tenant_id, fn):
    with app.app_context():
        try:
            with tenant_scope(tenant_id):
                result = fn()
                db.session.commit()
                return result
        except LedgerRefused as refused:
            db.session.rollback()
            return refused.code
        finally:
            db.session.remove()


def _approved(order_id: int, txn: str = "ch_1"):
    order = db.session.get(Order, order_id)
    return event(order, "approved", [PaymentPart(order.lines[0].id, 10000)], txn=txn)


def _count(app, tenant_id, order_id) -> int:
    with app.app_context(), tenant_scope(tenant_id):
        try:
            return db.session.scalar(
                select(func.count(Payment.id)).where(Payment.order_id == order_id)
            )
        finally:
            db.session.remove()


def test_fifty_threads_recording_one_event_make_one_row(app, seeded):
    tenant_id, (order_id, _) = seeded
    barrier = threading.Barrier(50)

    def record():
        def work():
            barrier.wait()
            return ledger.record_payment(_approved(order_id)).outcome

        return _in_tenant(app, tenant_id, work)

    with ThreadPoolExecutor(50) as pool:
        outcomes = list(pool.map(lambda _: record(), range(50)))
    assert sorted(set(outcomes)) == ["created", "duplicate"]
    assert outcomes.count("created") == 1
    assert _count(app, tenant_id, order_id) == 1


def test_racing_refunds_never_exceed_the_charge(app, seeded):
    tenant_id, (order_id, _) = seeded
    _in_tenant(app, tenant_id, lambda: ledger.record_payment(_approved(order_id)))
    barrier = threading.Barrier(10)

    def refund(n: int):
        def work():
            order = db.session.get(Order, order_id)
            part = PaymentPart(order.lines[0].id, 3000)
            barrier.wait()
            return ledger.record_payment(
                event(
                    order,
                    "refunded",
                    [part],
                    txn=f"re_{n}",
                    charge_transaction_id="ch_1",
                    source="refund",
                )
            ).outcome

        return _in_tenant(app, tenant_id, work)

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(refund, range(10)))
    assert outcomes.count("created") == 3
    assert outcomes.count("refund_exceeds_approved") == 7
    with app.app_context(), tenant_scope(tenant_id):
        assert ledger.order_balance(tenant_id, order_id).total.refunded == 9000
        db.session.remove()


def _hold_lock(app, tenant_id, order_id, locked: threading.Event, seconds: float) -> float:
    def work():
        ledger.lock_order(tenant_id, order_id)
        locked.set()
        time.sleep(seconds)
        return time.monotonic()

    return _in_tenant(app, tenant_id, work)


def test_one_order_serialises_two_orders_do_not_wait(app, seeded):
    tenant_id, (first, second) = seeded
    locked = threading.Event()
    with ThreadPoolExecutor(2) as pool:
        holder = pool.submit(_hold_lock, app, tenant_id, first, locked, 1.5)
        assert locked.wait(10)
        started = time.monotonic()
        _in_tenant(app, tenant_id, lambda: ledger.record_payment(_approved(second)))
        other_order = time.monotonic() - started

        def same():
            assert ledger.record_payment(_approved(first)).outcome == "created"
            return time.monotonic()

        same_order = pool.submit(_in_tenant, app, tenant_id, same)
        released = holder.result(timeout=30)
        finished = same_order.result(timeout=30)
    # The other order's event finished while the first order's lock was still held ...
    assert other_order < 1.0, other_order
    # ... while the same order's event waited for the holder's commit.
    assert finished >= released, (finished, released)
    assert _count(app, tenant_id, first) == 1 and _count(app, tenant_id, second) == 1
