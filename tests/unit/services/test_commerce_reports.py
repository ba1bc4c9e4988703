"""The sales report (spec 30 §10.4; acceptance 17, 70)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.extensions import db
from app.models.base import utcnow
from services import commerce_reports, ledger
from services.commerce_reports import sales_report
from services.errors import ValidationError
from services.tenancy import tenant_scope
from tests.support.commerce import approve, make_order, make_plan, make_publication, refund

NOW = datetime(2024, 6, 15, 12, tzinfo=UTC)


def at(month: int, day: int = 10, hour: int = 12) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=UTC)


@pytest.fixture
def store(ctx, tenant_factory, user_factory):
    """A store in Buenos Aires time (UTC-3) with a reader, entered as the current tenant."""
    tenant = tenant_factory(status="active", timezone="America/Argentina/Buenos_Aires")
    reader = user_factory(tenant=tenant)
    with tenant_scope(tenant.id):
        yield tenant, reader


def sale(tenant, reader, amount: int, when: datetime, *, txn: str, currency="USD", **fields):
    plan = make_plan(tenant.id, prices={currency: amount})
    order = make_order(tenant.id, reader.id, plan=plan, currency=currency, **fields)
    return order, approve(order, txn=txn, occurred_at=when).created[0]


def periods(report, currency: str) -> dict[str, commerce_reports.PeriodRow]:
    found = next(c for c in report.currencies if c.currency == currency)
    return {p.label: p for p in found.periods}


def test_sums_per_currency_and_month_never_across_currencies(store):
    tenant, reader = store
    order, charge = sale(tenant, reader, 10000, at(3), txn="a")
    sale(tenant, reader, 2500, at(3, 20), txn="b")
    refund(order, charge, 3000, occurred_at=at(4))
    refund(order, charge, 1000, refund_id="d_1", status="dispute_lost", occurred_at=at(4, 12))
    sale(tenant, reader, 700000, at(3), txn="c", currency="ARS")
    report = sales_report(tenant.id, now=NOW)
    assert [c.currency for c in report.currencies] == ["ARS", "USD"]
    usd = periods(report, "USD")
    assert len(usd) == 12 and list(usd)[0] == "2023-07" and list(usd)[-1] == "2024-06"
    march, april = usd["2024-03"].total, usd["2024-04"].total
    assert (march.gross, march.refunds, march.disputes, march.net) == (12500, 0, 0, 12500)
    assert march.approved_count == 2
    assert (april.gross, april.refunds, april.disputes, april.net) == (0, 3000, 1000, -4000)
    assert usd["2024-05"].total.gross == 0
    assert periods(report, "ARS")["2024-03"].total.gross == 700000


def test_rows_split_by_sale_type(store):
    tenant, reader = store
    sale(tenant, reader, 1000, at(2), txn="sub")
    prepaid = make_plan(tenant.id, type="prepaid", duration_months=12, prices={"USD": 9000})
    order = make_order(tenant.id, reader.id, plan=prepaid)
    approve(order, txn="pre", occurred_at=at(2))
    book = make_publication(tenant.id, "Atlas")
    single = make_order(tenant.id, reader.id, publication_id=book.id)
    approve(single, txn="one", occurred_at=at(2))
    feb = periods(sales_report(tenant.id, now=NOW), "USD")["2024-02"]
    split = {name: m.gross for name, m in feb.by_sale_type.items()}
    assert split == {"subscription": 1000, "prepaid": 9000, "single": 500}
    assert feb.total.gross == 10500 and feb.total.approved_count == 3


def test_sandbox_voided_and_internal_report_rows_are_left_out(ctx, tenant_factory, user_factory):
    from services.tenancy.context import enter_platform, reset_scope
    from tests.unit.services.test_order_queries import on_external_plan

    token = enter_platform()
    tenant = tenant_factory(status="active")
    on_external_plan(tenant)
    reader = user_factory(tenant=tenant)
    reset_scope(token)
    with tenant_scope(tenant.id):
        sale(tenant, reader, 1000, at(5), txn="live")
        sale(tenant, reader, 2000, at(5), txn="sand", gateway_type="yuno", sandbox=True)
        _, voided = sale(tenant, reader, 4000, at(5), txn="void")
        voided.deleted_at = utcnow()
        plan = make_plan(tenant.id, type="external", duration_months=12, prices={"USD": 8000})
        staff_sale = make_order(
            tenant.id, reader.id, gateway_type="external", plan=plan, staff=True
        )
        assert staff_sale.type == "internal_report"
        approve(staff_sale, txn="ext", occurred_at=at(5), source="sync")
        db.session.flush()
        may = periods(sales_report(tenant.id, now=NOW), "USD")["2024-05"].total
        assert (may.gross, may.approved_count) == (1000, 1)
        # The staff sale's row still counts in its own order's balance (acceptance 17).
        assert ledger.order_balance(tenant.id, staff_sale.id).total.approved == 8000


def test_a_late_synced_row_lands_in_the_period_it_occurred(store):
    tenant, reader = store
    # Recorded today, but the gateway says it happened in January.
    _, charge = sale(tenant, reader, 1500, at(1, 31, 12), txn="late")
    assert charge.created_at > charge.occurred_at
    usd = periods(sales_report(tenant.id, now=NOW), "USD")
    assert usd["2024-01"].total.gross == 1500
    assert sum(p.total.gross for p in usd.values()) == 1500


def test_periods_follow_the_tenant_time_zone(store):
    tenant, reader = store
    # 02:00 UTC on 1 March is still 29 February in Buenos Aires.
    sale(tenant, reader, 1000, datetime(2024, 3, 1, 2, tzinfo=UTC), txn="edge")
    months = periods(sales_report(tenant.id, now=NOW), "USD")
    assert months["2024-02"].total.gross == 1000 and months["2024-03"].total.gross == 0
    days = sales_report(tenant.id, "day", date(2024, 2, 28), date(2024, 3, 2))
    by_day = periods(days, "USD")
    assert list(by_day) == ["2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"]
    assert by_day["2024-02-29"].total.gross == 1000
    weeks = periods(sales_report(tenant.id, "week", date(2024, 2, 26), date(2024, 3, 10)), "USD")
    assert list(weeks) == ["2024-W09", "2024-W10"]
    assert weeks["2024-W09"].total.gross == 1000


def test_rows_outside_the_range_do_not_count(store):
    tenant, reader = store
    sale(tenant, reader, 1000, at(3), txn="in")
    sale(tenant, reader, 5000, datetime(2023, 1, 5, tzinfo=UTC), txn="old")
    report = sales_report(tenant.id, now=NOW)
    assert next(iter(report.currencies)).total.gross == 1000
    empty = sales_report(tenant.id, "month", date(2022, 1, 1), date(2022, 12, 31))
    assert empty.currencies == []


@pytest.mark.parametrize(
    "args",
    [("year", None, None), ("month", date(2024, 5, 1), date(2024, 4, 1))],
)
def test_bad_period_or_range_is_a_validation_error(store, args):
    tenant, _ = store
    with pytest.raises(ValidationError):
        sales_report(tenant.id, *args)


def test_too_many_periods_is_a_validation_error(store):
    tenant, _ = store
    with pytest.raises(ValidationError):
        sales_report(tenant.id, "day", date(2020, 1, 1), date(2024, 1, 1))


def test_csv_has_a_total_row_and_one_per_sale_type(store):
    tenant, reader = store
    order, charge = sale(tenant, reader, 1250, at(3), txn="a")
    refund(order, charge, 250, occurred_at=at(3, 11))
    report = sales_report(tenant.id, "month", date(2024, 3, 1), date(2024, 3, 31))
    lines = "".join(commerce_reports.report_csv(report)).splitlines()
    assert lines == [
        "currency,period,sale_type,gross,refunds,disputes,net,approved_charges",
        "USD,2024-03,all,12.50,2.50,0.00,10.00,1",
        "USD,2024-03,subscription,12.50,2.50,0.00,10.00,1",
    ]
