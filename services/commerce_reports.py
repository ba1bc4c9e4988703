"""The sales report (spec 30 §10.4): gross, refunds, disputes, net and approved charges per
currency and day, week or month of the tenant's time zone, by the rows' `occurred_at`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import TIMESTAMP, false, func, select
from sqlalchemy.dialects import postgresql

from app.extensions import db
from app.models.commerce import Order, Payment
from app.models.commerce_enums import GatewayType, OrderType, PaymentStatus, SaleType
from services.csv_export import rows_to_csv
from services.errors import ValidationError
from services.order_export import major
from services.order_queries import local_range
from services.order_state import add_months
from services.storefront.money import currency_exponents
from services.tenancy.resolver import get_tenant

PERIODS = ("day", "week", "month")
MAX_PERIODS = 1000
COUNTED = (PaymentStatus.APPROVED, PaymentStatus.REFUNDED, PaymentStatus.DISPUTE_LOST)
SALE_TYPES = tuple(s.value for s in SaleType)


@dataclass
class Measures:
    gross: int = 0
    refunds: int = 0
    disputes: int = 0
    approved_count: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunds - self.disputes

    def add(self, status: str, amount: int, count: int) -> None:
        if status == PaymentStatus.APPROVED:
            self.gross += amount
            self.approved_count += count
        elif status == PaymentStatus.REFUNDED:
            self.refunds += amount
        else:
            self.disputes += amount


@dataclass
class PeriodRow:
    start: date
    label: str
    total: Measures = field(default_factory=Measures)
    by_sale_type: dict[str, Measures] = field(default_factory=dict)


@dataclass
class CurrencyReport:
    """One currency's periods, oldest first; currencies are never added together."""

    currency: str
    exponent: int
    periods: list[PeriodRow]
    total: Measures = field(default_factory=Measures)

    @property
    def peak(self) -> int:
        return max((p.total.gross for p in self.periods), default=0) or 1


@dataclass
class SalesReport:
    period: str
    start: date
    end: date
    currencies: list[CurrencyReport]


def default_range(today: date) -> tuple[date, date]:
    """The last 12 months: from the first day of the month 11 months back to today."""
    return add_months(today.replace(day=1), -11), today


def sales_report(
    tenant_id: int,
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
) -> SalesReport:
    """The report over tenant-local days `start`..`end` (default the last 12 months). Sandbox,
    soft-deleted and internal_report rows never count."""
    if period not in PERIODS:
        raise ValidationError("Choose day, week or month.", field="period")
    tz = get_tenant(tenant_id).tzinfo
    default_start, default_end = default_range((now or datetime.now(UTC)).astimezone(tz).date())
    start, end = start or default_start, end or default_end
    if start > end:
        raise ValidationError("The start date is after the end date.", field="start")
    starts = bucket_starts(period, start, end)
    if len(starts) > MAX_PERIODS:
        raise ValidationError("Too many periods; choose a longer period.", field="period")
    by_currency: dict[str, dict[date, PeriodRow]] = {}
    for currency, bucket, sale_type, status, amount, count in _grouped(
        tenant_id, period, start, end
    ):
        rows = by_currency.setdefault(currency, {s: PeriodRow(s, label(period, s)) for s in starts})
        row = rows.get(bucket)
        if row is None:
            continue  # a bucket at the range's edge that the range does not show
        row.total.add(status, amount, count)
        row.by_sale_type.setdefault(sale_type, Measures()).add(status, amount, count)
    exponents = currency_exponents()
    reports = []
    for currency in sorted(by_currency):
        periods = list(by_currency[currency].values())
        total = Measures()
        for p in periods:
            for name in ("gross", "refunds", "disputes", "approved_count"):
                setattr(total, name, getattr(total, name) + getattr(p.total, name))
        reports.append(CurrencyReport(currency, exponents.get(currency, 2), periods, total))
    return SalesReport(period, start, end, reports)


def _grouped(tenant_id: int, period: str, start: date, end: date) -> Iterator[tuple]:
    """(currency, bucket start, sale_type, status, amount, count) over the report index."""
    tz = get_tenant(tenant_id).tzinfo
    low, high = local_range(start, end, tz)
    # Staff-recorded sales are external orders; naming the gateway type lets the look-up use
    # the (tenant_id, gateway_type, ...) index instead of reading every order.
    internal_report = select(Order.id).where(
        Order.tenant_id == tenant_id,
        Order.gateway_type == GatewayType.EXTERNAL,
        Order.type == OrderType.INTERNAL_REPORT,
    )
    where = (
        Payment.tenant_id == tenant_id,
        Payment.sandbox == false(),
        Payment.deleted_at.is_(None),
        Payment.occurred_at >= low,
        Payment.occurred_at < high,
        Payment.status.in_(COUNTED),
        Payment.order_id.not_in(internal_report),
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Each period's first instant in UTC, found here once; width_bucket then places a row
        # by a binary search, far cheaper per row than a time-zone conversion and date_trunc.
        starts = bucket_starts(period, start, end)
        bounds = [local_range(s, None, tz)[0] for s in starts]
        thresholds = postgresql.array(bounds, type_=TIMESTAMP(timezone=True))
        bucket = func.width_bucket(Payment.occurred_at, thresholds).label("bucket")
        query = (
            select(
                Payment.currency,
                bucket,
                Payment.sale_type,
                Payment.status,
                func.sum(Payment.amount_minor),
                func.count(),
            )
            .where(*where)
            .group_by(Payment.currency, bucket, Payment.sale_type, Payment.status)
        )
        for row in db.session.execute(query):
            yield row[0], starts[row[1] - 1], row[2], row[3], int(row[4]), int(row[5])
        return
    # Other databases have no time-zone arithmetic; the rows are bucketed here instead.
    query = select(
        Payment.currency,
        Payment.occurred_at,
        Payment.sale_type,
        Payment.status,
        Payment.amount_minor,
    ).where(*where)
    for currency, occurred_at, sale_type, status, amount in db.session.execute(query):
        bucket = bucket_start(period, occurred_at.astimezone(tz).date())
        yield currency, bucket, sale_type, status, int(amount), 1


def bucket_start(period: str, day: date) -> date:
    if period == "month":
        return day.replace(day=1)
    if period == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    return day


def bucket_starts(period: str, start: date, end: date) -> list[date]:
    starts, current = [], bucket_start(period, start)
    while current <= end and len(starts) <= MAX_PERIODS:
        starts.append(current)
        if period == "month":
            current = add_months(current, 1)
        else:
            current += timedelta(days=7 if period == "week" else 1)
    return starts


def label(period: str, start: date) -> str:
    if period == "month":
        return start.strftime("%Y-%m")
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.isoformat()


CSV_HEADER = (
    "currency",
    "period",
    "sale_type",
    "gross",
    "refunds",
    "disputes",
    "net",
    "approved_charges",
)


def report_csv(report: SalesReport) -> Iterator[str]:
    """The report as CSV: per currency and period a total row ("all") and one per sale type."""
    return rows_to_csv(CSV_HEADER, _csv_rows(report))


def _csv_rows(report: SalesReport) -> Iterator[tuple]:
    for currency in report.currencies:
        for period in currency.periods:
            parts = [("all", period.total)]
            parts += [(s, period.by_sale_type[s]) for s in SALE_TYPES if s in period.by_sale_type]
            for sale_type, m in parts:
                yield (
                    currency.currency,
                    period.label,
                    sale_type,
                    major(m.gross, currency.exponent),
                    major(m.refunds, currency.exponent),
                    major(m.disputes, currency.exponent),
                    major(m.net, currency.exponent),
                    m.approved_count,
                )
