"""The subscriptions page and its export (spec 30 §10.3; acceptance 66)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from tests.functional.conftest import host_of, text
from tests.functional.dashboard.test_orders import as_store
from tests.support.commerce import approve, make_order, make_plan

URL = "/dashboard/subscriptions"
HTMX = {"HX-Request": "true"}


def at(month: int) -> datetime:
    return datetime(2024, month, 5, 12, tzinfo=UTC)


@pytest.fixture
def store(make_tenant):
    return make_tenant(slug="alpha", name="Alpha Books")


@pytest.fixture
def admin(store, make_user, signed_in):
    return signed_in(host_of(store), make_user(tenant=store, admin=True).email)


@pytest.fixture
def lines(app, store, make_user) -> dict:
    """A Stripe monthly line charged twice, a MercadoPago prepaid line, and lines that are no
    subscriptions (PayU, a grant, an unpaid checkout)."""
    ana = make_user(tenant=store, email="ana@example.com")
    bob = make_user(tenant=store, email="bob@example.com")
    with as_store(app, store):
        monthly = make_plan(store.id, name="Monthly Club", prices={"USD": 1000})
        prepaid = make_plan(store.id, name="Year Pass", type="prepaid", duration_months=12)
        sub = make_order(store.id, ana.id, plan=monthly)
        approve(sub, txn="c1", occurred_at=at(1))
        approve(sub, txn="c2", occurred_at=at(2), amount=1100)
        mp = make_order(store.id, bob.id, plan=prepaid, gateway_type="mercadopago")
        approve(mp, txn="m1", occurred_at=at(3))
        payu = make_order(store.id, bob.id, plan=monthly, gateway_type="payu")
        approve(payu, txn="p1")
        grant = make_order(store.id, bob.id, plan=monthly, gateway_type="manual")
        pending = make_order(store.id, bob.id, plan=monthly)
        return {
            "sub": str(sub.lines[0].uuid),
            "sub_order": str(sub.uuid),
            "period_end": sub.lines[0].current_period_end,
            "mp": str(mp.lines[0].uuid),
            "others": [str(o.lines[0].uuid) for o in (payu, grant, pending)],
            "monthly": str(monthly.uuid),
        }


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="subscription-([0-9a-f-]{36})"', html)


def row(html: str, uuid: str) -> str:
    return re.search(rf'<tr id="subscription-{uuid}"(.*?)</tr>', html, re.S).group(1)


def test_page_lists_only_gateway_subscriptions_with_their_charges(admin, lines):
    response = admin.get(URL)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    html = text(response)
    assert "<html" in html and 'id="subscriptions-filters"' in html
    assert set(row_ids(html)) == {lines["sub"], lines["mp"]}
    sub = row(html, lines["sub"])
    assert 'data-payments="2"' in sub and "2024-02-05" in sub and "USD 11.00" in sub
    assert "Monthly Club" in sub and "monthly" in sub and ">Active<" in sub
    assert lines["period_end"].strftime("%Y-%m-%d") in sub
    assert f'href="/dashboard/orders/{lines["sub_order"]}"' in sub
    prepaid = row(html, lines["mp"])
    assert "prepaid" in prepaid and 'data-payments="1"' in prepaid
    assert re.search(r'class="next-charge"><span class="muted">', prepaid)


def test_fragment_and_filters(admin, lines):
    fragment = text(admin.get(URL, headers=HTMX))
    assert fragment.startswith('<div id="subscriptions-table"') and "<html" not in fragment
    assert row_ids(text(admin.get(f"{URL}?gateway=mercadopago", headers=HTMX))) == [lines["mp"]]
    assert row_ids(text(admin.get(f"{URL}?interval=monthly", headers=HTMX))) == [lines["sub"]]
    assert row_ids(text(admin.get(f"{URL}?plan={lines['monthly']}", headers=HTMX))) == [
        lines["sub"]
    ]
    assert row_ids(text(admin.get(f"{URL}?q=ana@", headers=HTMX))) == [lines["sub"]]
    assert row_ids(text(admin.get(f"{URL}?status=cancelled", headers=HTMX))) == []
    started = text(admin.get(f"{URL}?start_from=2024-03-01&start_to=2024-03-31", headers=HTMX))
    assert row_ids(started) == [lines["mp"]]


@pytest.mark.parametrize(
    "query",
    ["status=pending", "gateway=payu", "interval=weekly", "plan=not-a-plan", "after=zz"],
)
def test_unknown_values_answer_400(admin, query):
    assert admin.get(f"{URL}?{query}").status_code == 400


def test_export_streams_the_filtered_lines(admin, lines):
    response = admin.get(f"{URL}/export.csv?gateway=stripe")
    assert response.status_code == 200 and response.is_streamed
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0][:3] == ["order", "line", "email"] and len(rows) == 2
    assert rows[1][1] == lines["sub"] and rows[1][10] == "2" and rows[1][12] == "11.00"


def test_another_stores_lines_never_list(admin, lines, make_tenant, make_user, app):
    beta = make_tenant(slug="beta")
    stranger = make_user(tenant=beta)
    with as_store(app, beta):
        order = make_order(beta.id, stranger.id)
        approve(order, txn="b1")
        foreign = str(order.lines[0].uuid)
    assert foreign not in text(admin.get(URL))
    assert foreign not in text(admin.get(f"{URL}/export.csv"))


def test_readers_get_403(store, make_user, signed_in):
    client = signed_in(host_of(store), make_user(tenant=store).email)
    assert client.get(URL).status_code == 403
