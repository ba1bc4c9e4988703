"""The commerce CSV exports (spec 30 §10.1, §10.3): the filtered orders or subscription lines
streamed from a server-side cursor, 1,000 rows a fetch, each batch completed by one grouped
query; the orders export is audited."""

from __future__ import annotations

from collections.abc import Iterator

from app.extensions import db
from app.models.commerce import UserPlan
from services import activity
from services import subscription_queries as subscriptions
from services.csv_export import rows_to_csv
from services.money import to_major
from services.order_queries import OrderFilters, order_nets, rows_query, sort_order
from services.storefront.money import currency_exponents
from services.subscription_queries import SubscriptionFilters
from services.tenancy.context import tenant_scope
from services.tenancy.resolver import get_tenant

FETCH_SIZE = 1000
HEADER = (
    "uuid",
    "created",
    "email",
    "type",
    "gateway_type",
    "status",
    "currency",
    "amount",
    "net",
    "coupon",
    "external_reference",
    "sandbox",
)


def record_export(tenant_id: int, filters: OrderFilters, actor: activity.Actor) -> None:
    """The activity row of an export, with the filters it used (the view commits it before
    the first byte is streamed)."""
    activity.record(
        actor,
        "orders.exported",
        "tenant",
        get_tenant(tenant_id).uuid,
        tenant_id=tenant_id,
        after={"filters": filters.as_dict()},
    )
    db.session.flush()


def export_csv(tenant_id: int, filters: OrderFilters) -> Iterator[str]:
    """CSV text chunks of every order the filters select, newest first. The generator runs
    after the request has left its tenant scope, so it enters the tenant's own."""
    with tenant_scope(tenant_id):
        yield from rows_to_csv(HEADER, _rows(tenant_id, filters))


def _rows(tenant_id: int, filters: OrderFilters) -> Iterator[tuple]:
    tz = get_tenant(tenant_id).tzinfo
    exponents = currency_exponents()
    query = rows_query(tenant_id, filters).order_by(*sort_order(filters))
    result = db.session.execute(query.execution_options(yield_per=FETCH_SIZE))
    try:
        for batch in result.partitions():
            nets = order_nets(tenant_id, [row.id for row in batch])
            for row in batch:
                exponent = exponents.get(row.currency, 2)
                yield (
                    row.uuid,
                    row.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                    row.email,
                    row.type,
                    row.gateway_type,
                    row.status,
                    row.currency,
                    major(row.amount_minor, exponent),
                    major(nets.get(row.id, 0), exponent),
                    # The coupons table (spec 40) brings the code; until then nothing to name.
                    "",
                    row.external_reference or "",
                    "yes" if row.sandbox else "no",
                )
    finally:
        result.close()


def major(amount_minor: int, exponent: int) -> str:
    """Minor units as a plain decimal string: 1250, 2 -> "12.50"; -300, 2 -> "-3.00"."""
    return str(to_major(amount_minor, exponent))


SUBSCRIPTION_HEADER = (
    "order",
    "line",
    "email",
    "plan",
    "interval",
    "status",
    "gateway",
    "start",
    "valid_to",
    "last_payment",
    "payments",
    "currency",
    "amount",
    "next_charge",
    "sandbox",
)


def export_subscriptions_csv(tenant_id: int, filters: SubscriptionFilters) -> Iterator[str]:
    """CSV chunks of every selected line, newest first, 1,000 rows a fetch; it holds its own
    tenant scope because it runs after the request has left it."""
    with tenant_scope(tenant_id):
        yield from rows_to_csv(SUBSCRIPTION_HEADER, _subscription_rows(tenant_id, filters))


def _subscription_rows(tenant_id: int, filters: SubscriptionFilters) -> Iterator[tuple]:
    tz = get_tenant(tenant_id).tzinfo
    exponents = currency_exponents()
    newest_first = (UserPlan.created_at.desc(), UserPlan.id.desc())
    query = subscriptions.rows_query(tenant_id, filters).order_by(*newest_first)
    result = db.session.execute(query.execution_options(yield_per=FETCH_SIZE))

    def local(moment):
        return moment.astimezone(tz).strftime("%Y-%m-%d") if moment else ""

    try:
        for batch in result.partitions():
            for row in subscriptions.with_stats(tenant_id, batch):
                yield (
                    row.order_uuid,
                    row.uuid,
                    row.email,
                    row.plan_name,
                    row.interval_label,
                    row.status_label,
                    row.gateway_type,
                    local(row.starts_at),
                    local(row.valid_to),
                    local(row.last_payment_at),
                    row.payments,
                    row.currency,
                    major(row.amount_minor, exponents.get(row.currency, 2)),
                    local(row.next_charge),
                    "yes" if row.sandbox else "no",
                )
    finally:
        result.close()
