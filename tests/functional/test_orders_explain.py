"""Spec 30 §12 / acceptance 71: on PostgreSQL with a loaded tenant, the statements behind the
orders list (default, status filter, e-mail search, a deep keyset page), the order page (its
ledger timeline and balance) and ledger.order_balance never scan `orders` or `payments`
sequentially. The statements are the services' own, captured while they run, then EXPLAINed."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, text

from app.extensions import db
from app.models.commerce import Order
from services import commerce_load, ledger, order_cursor, order_queries, order_review
from services.order_queries import OrderFilters

ORDERS, PAYMENTS = 20_000, 60_000
WATCHED = ("orders", "payments")
TOUCHES = re.compile(r"\b(FROM|JOIN)\s+(orders|payments)\b", re.IGNORECASE)


@pytest.fixture
def loaded(shop, is_postgres):
    if not is_postgres:
        pytest.skip("the plans asserted here are PostgreSQL's")
    tenant, _ = shop
    result = commerce_load.load(tenant.id, ORDERS, PAYMENTS, "test")
    db.session.flush()
    for table in ("orders", "users_plans", "payments", "users"):
        db.session.execute(text(f"ANALYZE {table}"))
    return tenant, result


@contextmanager
def captured():
    """(statement, parameters) of every statement on the session's connection in the block."""
    seen: list[tuple[str, object]] = []
    connection = db.session.connection()

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", before)


def scans(plan: dict) -> list[tuple[str, str]]:
    """(node type, relation) of every node of an EXPLAIN (FORMAT JSON) plan tree."""
    found = [(plan.get("Node Type"), plan.get("Relation Name"))]
    for child in plan.get("Plans", ()):
        found += scans(child)
    return found


def sequential_scans(statements) -> list[str]:
    """The statements touching orders or payments whose plan reads either sequentially."""
    cursor = db.session.connection().connection.driver_connection.cursor()
    bad = []
    checked = 0
    for statement, parameters in statements:
        if not TOUCHES.search(statement):
            continue
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0][0]["Plan"]
        checked += 1
        seq = [rel for node, rel in scans(plan) if node == "Seq Scan" and rel in WATCHED]
        if seq:
            bad.append(f"{', '.join(seq)}: {' '.join(statement.split())[:300]}")
    assert checked, "no statement on orders or payments was captured"
    return bad


def deep_cursor(tenant_id: int) -> str:
    """The `after` cursor of page 50 of the default view."""
    position = (
        select(Order.created_at, Order.id)
        .where(*order_queries.conditions(tenant_id, OrderFilters()))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .offset(49 * order_cursor.PAGE_SIZE - 1)
        .limit(1)
    )
    return order_cursor.encode(*db.session.execute(position).one())


def email_prefix(tenant_id: int) -> str:
    """A reader's local part and "@", as typed in the search box."""
    order = db.session.scalar(
        select(Order).where(Order.tenant_id == tenant_id).order_by(Order.id.desc()).limit(1)
    )
    return order.user.email.split("@")[0] + "@"


def test_the_orders_list_and_the_order_page_never_scan_orders_or_payments(loaded):
    tenant, result = loaded
    deep = deep_cursor(tenant.id)
    views = {
        "default": (OrderFilters(), None),
        "status filter": (OrderFilters(statuses=("refunded",)), None),
        "e-mail search": (OrderFilters(q=email_prefix(tenant.id)), None),
        "deep keyset page": (OrderFilters(), deep),
        "status filter, deep page": (OrderFilters(statuses=("approved",)), deep),
    }
    found = {}
    for view, (filters, after) in views.items():
        with captured() as statements:
            page = order_queries.list_orders(tenant.id, filters, after=after)
        assert page.rows, view
        found[view] = sequential_scans(statements)
    assert found == dict.fromkeys(views, [])
    _order_page(tenant.id, result)


def _order_page(tenant_id: int, result) -> None:
    """The order page's statements (its ledger timeline and balance) and order_balance."""
    with captured() as statements:
        detail = order_review.order_detail(tenant_id, result.detail_order_uuid)
        balance = ledger.order_balance(tenant_id, detail.order.id)
    assert len(detail.timeline) == commerce_load.DETAIL_ROWS
    assert balance.total.approved > 0
    assert sequential_scans(statements) == []
