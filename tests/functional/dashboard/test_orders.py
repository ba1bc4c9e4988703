"""The orders list and its CSV export (spec 30 §10.1, §13; acceptance 4, 60, 63-65)."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Activity
from app.models.base import utcnow
from app.models.commerce import Order
from app.models.tenancy import Tenant
from services import activity
from services.features import definitions, grants
from services.tenancy import tenant_scope
from tests.functional.conftest import host_of, in_platform, text
from tests.support.commerce import approve, make_order, make_plan

URL = "/dashboard/orders"
HTMX = {"HX-Request": "true"}
ACTOR = activity.Actor(label="tests")
BASE = datetime(2024, 1, 10, 12, tzinfo=UTC)


@contextmanager
def as_store(app, tenant):
    """Write rows as the store, committed at the end of the block."""
    with app.app_context(), tenant_scope(tenant.id):
        yield
        db.session.commit()


def add_order(app, tenant, user, when=BASE, **fields) -> str:
    """A committed order created at `when`; returns its uuid as text."""
    with as_store(app, tenant):
        order = make_order(tenant.id, user.id, **fields)
        order.created_at = when
        if fields.get("gateway_type", "stripe") == "stripe":
            approve(order, txn=f"ch_{order.id}")
        return str(order.uuid)


def grant_feature(app, tenant, slug: str) -> None:
    with in_platform(app):
        plan = definitions.create_plan(ACTOR, slug="growth", name="Growth")
        grants.set_grant(ACTOR, plan, definitions.find_feature(slug), "enabled")
        grants.assign_plan(ACTOR, db.session.get(Tenant, tenant.id), plan)


@pytest.fixture
def store(make_tenant):
    return make_tenant(slug="alpha", name="Alpha Books", timezone="America/Argentina/Buenos_Aires")


@pytest.fixture
def reader(store, make_user):
    return make_user(tenant=store, email="reader.one@example.com")


@pytest.fixture
def admin(store, make_user, signed_in):
    return signed_in(host_of(store), make_user(tenant=store, admin=True).email)


def order_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="order-([0-9a-f-]{36})"', html)


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_page_and_fragment(admin, store, reader, app):
    uuid = add_order(app, store, reader, external_reference="INV-1")
    page = admin.get(URL)
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    html = text(page)
    assert "<html" in html and 'id="orders-filters"' in html and order_ids(html) == [uuid]
    assert 'hx-trigger="input changed delay:300ms' in html and 'hx-push-url="true"' in html
    assert f'href="/dashboard/users/{reader.uuid}/plans"' in html
    assert '<a href="/dashboard/orders" aria-current="page">Orders</a>' in html
    fragment = text(admin.get(URL, headers=HTMX))
    assert fragment.startswith('<div id="orders-table"') and "<html" not in fragment
    assert order_ids(fragment) == [uuid]
    assert '<span id="orders-count">1</span>' in fragment


def test_sandbox_orders_are_hidden_by_default(admin, store, reader, app):
    live = add_order(app, store, reader)
    later = BASE + timedelta(hours=1)
    sandbox = add_order(app, store, reader, later, gateway_type="yuno", sandbox=True)
    assert order_ids(text(admin.get(URL))) == [live]
    assert order_ids(text(admin.get(f"{URL}?sandbox=include", headers=HTMX))) == [sandbox, live]
    only = text(admin.get(f"{URL}?sandbox=only", headers=HTMX))
    assert order_ids(only) == [sandbox] and 'data-badge="sandbox"' in only


def test_each_filter_narrows_the_list(admin, store, reader, app):
    now = utcnow()
    paid = add_order(app, store, reader, now - timedelta(days=3))
    grant = add_order(app, store, reader, now - timedelta(days=2), gateway_type="manual")
    stale = add_order(app, store, reader, now - timedelta(days=220), gateway_type="mercadopago")
    with as_store(app, store):
        db.session.scalar(select(Order).where(Order.uuid == grant)).review_reason = "x"

    def ids(query: str) -> set[str]:
        return set(order_ids(text(admin.get(f"{URL}?{query}", headers=HTMX))))

    assert ids("status=approved") == {paid, grant}
    assert ids("status=approved&status=pending") == {paid, grant, stale}
    assert ids("type=permission") == {grant}
    assert ids("gateway_type=mercadopago") == {stale}
    day = (now - timedelta(days=3)).astimezone(ZoneInfo(store.timezone)).date().isoformat()
    assert ids(f"created_from={day}&created_to={day}") == {paid}
    assert ids("needs_review=y") == {grant}
    assert ids("stale_pending=y") == {stale}
    assert ids("status=refunded") == set()
    assert "No orders match." in text(admin.get(f"{URL}?status=refunded", headers=HTMX))


def test_search_by_uuid_email_prefix_and_external_reference(admin, store, reader, make_user, app):
    other = make_user(tenant=store, email="zed@example.com")
    mine = add_order(app, store, reader, gateway_type="manual", external_reference="PO-77")
    theirs = add_order(app, store, other, BASE + timedelta(hours=1), gateway_type="manual")
    assert order_ids(text(admin.get(f"{URL}?q={theirs}", headers=HTMX))) == [theirs]
    assert order_ids(text(admin.get(f"{URL}?q=Reader.One@", headers=HTMX))) == [mine]
    assert order_ids(text(admin.get(f"{URL}?q=PO-77", headers=HTMX))) == [mine]
    hint = text(admin.get(f"{URL}?q=r@", headers=HTMX))
    assert 'id="search-hint"' in hint and len(order_ids(hint)) == 2


def test_keyset_pages_hold_while_orders_arrive(admin, store, reader, app):
    with as_store(app, store):
        plan = make_plan(store.id)
        made = []
        for n in range(110):
            order = make_order(store.id, reader.id, gateway_type="manual", plan=plan)
            order.created_at = BASE + timedelta(minutes=n)
            made.append(str(order.uuid))
    html = text(admin.get(URL))
    seen = order_ids(html)
    assert len(seen) == 50 and link(html, "prev") is None
    for n in range(5):
        add_order(app, store, reader, utcnow() + timedelta(seconds=n), gateway_type="manual")
        next_url = link(html, "next")
        if next_url is None:
            break
        html = text(admin.get(next_url, headers=HTMX))
        seen += order_ids(html)
    assert seen == made[::-1]
    back = text(admin.get(link(html, "prev"), headers=HTMX))
    assert order_ids(back) == made[::-1][50:100]


@pytest.mark.parametrize(
    "query",
    [
        "after=not-a-cursor",
        "before=WzEsMl0",
        "after=WyIyMDI0LTAxLTAxIiwxXQ&before=WyIyMDI0LTAxLTAxIiwxXQ",
        "status=lost",
        "type=gift",
        "gateway_type=cash",
        "sandbox=all",
        "sort=email",
        "created_from=yesterday",
    ],
)
def test_malformed_cursors_and_unknown_values_answer_400(admin, query):
    assert admin.get(f"{URL}?{query}").status_code == 400
    assert admin.get(f"{URL}?{query}", headers=HTMX).status_code == 400


def test_export_streams_the_filtered_rows_neutralised_and_audited(admin, store, reader, app):
    formula = add_order(app, store, reader, gateway_type="manual", external_reference="=1+2")
    add_order(app, store, reader, BASE + timedelta(hours=1))
    response = admin.get(f"{URL}/export.csv?type=permission")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0][:3] == ["uuid", "created", "email"] and len(rows) == 2
    assert rows[1][0] == formula and rows[1][10] == "'=1+2"
    assert rows[1][2] == "reader.one@example.com" and rows[1][11] == "no"
    with app.app_context():
        entry = db.session.scalar(select(Activity).where(Activity.action == "orders.exported"))
        used = {"type": "permission", "sandbox": "exclude", "sort": "created"}
        assert entry.tenant_id == store.id and entry.after == {"filters": used}


def test_export_refuses_unknown_filters(admin):
    assert admin.get(f"{URL}/export.csv?status=nope").status_code == 400


@pytest.mark.parametrize("feature", [False, True])
def test_external_orders_need_create_external_plans(admin, store, reader, app, feature):
    if feature:
        grant_feature(app, store, "create_external_plans")
    with as_store(app, store):
        plan = make_plan(store.id, type="external", duration_months=12)
        external = str(make_order(store.id, reader.id, gateway_type="external", plan=plan).uuid)
    grant = add_order(app, store, reader, gateway_type="manual")
    listed = order_ids(text(admin.get(URL)))
    exported = text(admin.get(f"{URL}/export.csv"))
    assert grant in listed and grant in exported
    assert (external in listed) is feature and (external in exported) is feature


def test_another_stores_orders_never_list(admin, make_tenant, make_user, app):
    beta = make_tenant(slug="beta")
    stranger = make_user(tenant=beta)
    foreign = add_order(app, beta, stranger, gateway_type="manual")
    assert foreign not in text(admin.get(f"{URL}?sandbox=include"))
    assert order_ids(text(admin.get(f"{URL}?q={foreign}", headers=HTMX))) == []
    assert foreign not in text(admin.get(f"{URL}/export.csv"))


def test_readers_get_403(store, reader, signed_in):
    client = signed_in(host_of(store), reader.email)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/export.csv").status_code == 403
