"""The sales report page and its CSV (spec 30 §10.4; acceptance 17, 70)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.models.base import utcnow
from tests.functional.conftest import host_of, text
from tests.functional.dashboard.test_orders import as_store, grant_feature
from tests.support.commerce import approve, make_order, make_plan, refund

URL = "/dashboard/orders/sales-report"
HTMX = {"HX-Request": "true"}
RANGE = "period=month&start=2024-01-01&end=2024-04-30"


@pytest.fixture
def store(app, make_tenant):
    tenant = make_tenant(
        slug="alpha", name="Alpha Books", timezone="America/Argentina/Buenos_Aires"
    )
    grant_feature(app, tenant, "create_external_plans")
    return tenant


@pytest.fixture
def admin(store, make_user, signed_in):
    return signed_in(host_of(store), make_user(tenant=store, admin=True).email)


@pytest.fixture
def sales(app, store, make_user):
    """USD and ARS sales, a refund, a late-synced January row, and rows that never count:
    sandbox, voided and a staff-recorded (internal_report) sale."""
    reader = make_user(tenant=store)
    with as_store(app, store):

        def sell(amount, when, txn, currency="USD", **fields):
            plan = make_plan(store.id, prices={currency: amount})
            order = make_order(store.id, reader.id, plan=plan, currency=currency, **fields)
            return order, approve(order, txn=txn, occurred_at=when).created[0]

        order, charge = sell(10000, datetime(2024, 3, 10, tzinfo=UTC), "a")
        refund(order, charge, 2500, occurred_at=datetime(2024, 3, 12, tzinfo=UTC))
        sell(500000, datetime(2024, 3, 10, tzinfo=UTC), "b", currency="ARS")
        # Synced today, but the charge happened at 01:00 UTC on 1 February: still January
        # in Buenos Aires.
        sell(700, datetime(2024, 2, 1, 1, tzinfo=UTC), "late")
        sell(9900, datetime(2024, 3, 10, tzinfo=UTC), "sb", gateway_type="yuno", sandbox=True)
        _, voided = sell(8800, datetime(2024, 3, 10, tzinfo=UTC), "void")
        voided.deleted_at = utcnow()
        plan = make_plan(store.id, type="external", duration_months=12, prices={"USD": 7700})
        staff = make_order(store.id, reader.id, gateway_type="external", plan=plan, staff=True)
        approve(staff, txn="ext", occurred_at=datetime(2024, 3, 10, tzinfo=UTC), source="sync")


def period_row(html: str, currency: str, label: str) -> list[str]:
    section = re.search(rf'id="report-{currency}">(.*?)</section>', html, re.S).group(1)
    found = re.search(rf'<tr class="subtotal" data-period="{label}">(.*?)</tr>', section, re.S)
    return re.findall(r"<td>(.*?)</td>", found.group(1))


def test_page_sums_per_currency_and_month(admin, sales):
    response = admin.get(f"{URL}?{RANGE}")
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    html = text(response)
    assert "<html" in html and 'id="report-filters"' in html and 'class="bar-chart"' in html
    march = period_row(html, "USD", "2024-03")
    assert march == ["2024-03", "All", "USD 100.00", "USD 25.00", "USD 0.00", "USD 75.00", "1"]
    assert period_row(html, "USD", "2024-01")[2] == "USD 7.00"
    assert period_row(html, "USD", "2024-02")[2] == "USD 0.00"
    assert period_row(html, "ARS", "2024-03")[2] == "ARS 5000.00"
    assert 'style="width: 100.0%"' in html


def test_fragment_for_htmx(admin, sales):
    fragment = text(admin.get(f"{URL}?{RANGE}", headers=HTMX))
    assert fragment.startswith('<div id="sales-report">') and "<html" not in fragment


def test_default_is_the_last_twelve_months_by_month(admin, app, store, make_user):
    reader = make_user(tenant=store)
    with as_store(app, store):
        approve(make_order(store.id, reader.id), txn="now")
    html = text(admin.get(URL))
    section = re.search(r'id="report-USD">(.*?)</section>', html, re.S).group(1)
    labels = re.findall(r'data-period="([^"]+)"', section)
    this_month = utcnow().astimezone(ZoneInfo(store.timezone)).strftime("%Y-%m")
    assert len(labels) == 12 and labels[-1] == this_month
    assert period_row(html, "USD", this_month)[2] == "USD 10.00"


def test_csv_matches_the_page(admin, sales):
    response = admin.get(f"{URL}.csv?{RANGE}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0][0] == "currency"
    assert ["USD", "2024-03", "all", "100.00", "25.00", "0.00", "75.00", "1"] in rows
    assert ["USD", "2024-01", "subscription", "7.00", "0.00", "0.00", "7.00", "1"] in rows
    assert not any(r[0] == "ARS" and r[1] != "2024-03" and r[3] != "0.00" for r in rows[1:])


@pytest.mark.parametrize("query", ["period=year", "start=2024-05-01&end=2024-01-01", "start=x"])
def test_bad_values_answer_400(admin, query):
    assert admin.get(f"{URL}?{query}").status_code == 400
    assert admin.get(f"{URL}.csv?{query}").status_code == 400


def test_weeks_and_days(admin, sales):
    weeks = text(admin.get(f"{URL}?period=week&start=2024-03-04&end=2024-03-17", headers=HTMX))
    assert period_row(weeks, "USD", "2024-W10")[2] == "USD 100.00"
    assert period_row(weeks, "USD", "2024-W11")[3] == "USD 25.00"
    days = text(admin.get(f"{URL}?period=day&start=2024-01-31&end=2024-02-01", headers=HTMX))
    assert period_row(days, "USD", "2024-01-31")[2] == "USD 7.00"
