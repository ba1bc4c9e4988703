"""Reading orders for the control panel (spec 30 §10.1): the filtered keyset list with its capped
count, item labels and nets, and one order by uuid."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select

from app.extensions import db
from app.models.commerce import Order, Plan, UserPlan
from app.models.commerce_enums import GatewayType, OrderStatus, OrderType
from app.models.tenancy import User
from services import features, ledger
from services.errors import NotFound, ValidationError
from services.order_cursor import KeysetPage, keyset_page
from services.order_state import add_months
from services.rows import LIKE_ESCAPE, escape_like
from services.tenancy.resolver import get_tenant

EXTERNAL_FEATURE = "create_external_plans"
SANDBOX_MODES = ("exclude", "include", "only")
SORTS = ("created", "amount")
COUNT_CAP = 10_000
STALE_MONTHS = 6
MIN_EMAIL_PREFIX = 3
STAFF_TYPES = (OrderType.INTERNAL, OrderType.INTERNAL_REPORT)


@dataclass(frozen=True)
class OrderFilters:
    """The list's filters as typed values; an unknown enum value is a ValidationError."""

    statuses: tuple[str, ...] = ()
    type: str | None = None
    gateway_type: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    needs_review: bool = False
    stale_pending: bool = False
    sandbox: str = "exclude"
    q: str = ""
    sort: str = "created"

    def __post_init__(self):
        _check(self.statuses, OrderStatus, "status")
        _check((self.type,) if self.type else (), OrderType, "type")
        _check((self.gateway_type,) if self.gateway_type else (), GatewayType, "gateway_type")
        if self.sandbox not in SANDBOX_MODES:
            raise ValidationError("Unknown sandbox filter.", field="sandbox")
        if self.sort not in SORTS:
            raise ValidationError("Unknown sort.", field="sort")

    def as_dict(self) -> dict:
        """The filters that are set, for activity rows."""
        values = {k: v for k, v in asdict(self).items() if v not in (None, "", (), False)}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _check(values, enum, name: str) -> None:
    allowed = {member.value for member in enum}
    if any(value not in allowed for value in values):
        raise ValidationError(f"Unknown {name.replace('_', ' ')}.", field=name)


def local_range(start: date | None, end: date | None, tz: ZoneInfo):
    """Aware UTC bounds [from, to) of whole tenant-local days `start`..`end` (either open)."""
    low = datetime.combine(start, time(), tz).astimezone(UTC) if start else None
    high = datetime.combine(end + timedelta(days=1), time(), tz).astimezone(UTC) if end else None
    return low, high


def email_prefix_users(tenant_id: int, prefix: str) -> Select:
    """Ids of the tenant's users whose email starts with `prefix` (any case); it matches the
    (tenant_id, lower(email) text_pattern_ops) index."""
    pattern = escape_like(prefix.strip().lower()) + "%"
    return select(User.id).where(
        User.tenant_id == tenant_id, func.lower(User.email).like(pattern, escape=LIKE_ESCAPE)
    )


def conditions(tenant_id: int, filters: OrderFilters, now: datetime | None = None) -> list:
    """WHERE clauses of the list, the count and the export (tenant first, for the indexes)."""
    tz = get_tenant(tenant_id).tzinfo
    where = [Order.tenant_id == tenant_id]
    if filters.sandbox != "include":
        where.append(Order.sandbox.is_(filters.sandbox == "only"))
    if filters.statuses:
        where.append(Order.status.in_(filters.statuses))
    if filters.type:
        where.append(Order.type == filters.type)
    if filters.gateway_type:
        where.append(Order.gateway_type == filters.gateway_type)
    if not features.enabled(tenant_id, EXTERNAL_FEATURE):
        where.append(Order.gateway_type != GatewayType.EXTERNAL)
    low, high = local_range(filters.created_from, filters.created_to, tz)
    if low is not None:
        where.append(Order.created_at >= low)
    if high is not None:
        where.append(Order.created_at < high)
    if filters.needs_review:
        where.append(Order.review_reason.is_not(None))
    if filters.stale_pending:
        cutoff = add_months(now or datetime.now(UTC), -STALE_MONTHS)
        where += [Order.status == OrderStatus.PENDING, Order.created_at < cutoff]
    where += _search(tenant_id, filters.q.strip())
    return where


def _search(tenant_id: int, q: str) -> list:
    if not q:
        return []
    try:
        return [Order.uuid == uuid_lib.UUID(q)]
    except ValueError:
        pass
    if "@" in q:
        if len(q) < MIN_EMAIL_PREFIX:
            return []  # too short to search; the page says so
        return [Order.user_id.in_(email_prefix_users(tenant_id, q))]
    return [or_(Order.external_reference == q, Order.gateway_key == q)]


def search_too_short(q: str) -> bool:
    """An email search too short to run (a UUID never holds an "@")."""
    return "@" in q and len(q.strip()) < MIN_EMAIL_PREFIX


@dataclass(frozen=True)
class OrderRow:
    """One line of the orders table."""

    id: int
    uuid: uuid_lib.UUID
    created_at: datetime
    email: str
    user_uuid: uuid_lib.UUID
    type: str
    gateway_type: str
    status: str
    currency: str
    amount_minor: int
    sandbox: bool
    review_reason: str | None
    external_reference: str | None
    coupon_id: int | None
    items: str = ""
    net_minor: int = 0

    @property
    def staff(self) -> bool:
        return self.type in STAFF_TYPES


@dataclass
class OrderList:
    rows: list[OrderRow]
    page: KeysetPage
    count: int
    count_capped: bool
    search_too_short: bool = False

    @property
    def count_text(self) -> str:
        return f"{COUNT_CAP:,}+" if self.count_capped else f"{self.count:,}"


ROW_COLUMNS = (
    Order.id,
    Order.uuid,
    Order.created_at,
    User.email,
    User.uuid.label("user_uuid"),
    Order.type,
    Order.gateway_type,
    Order.status,
    Order.currency,
    Order.amount_minor,
    Order.sandbox,
    Order.review_reason,
    Order.external_reference,
    Order.coupon_id,
)


def rows_query(tenant_id: int, filters: OrderFilters) -> Select:
    return (
        select(*ROW_COLUMNS)
        .join(User, User.id == Order.user_id)
        .where(*conditions(tenant_id, filters))
    )


def list_orders(
    tenant_id: int, filters: OrderFilters, *, after: str | None = None, before: str | None = None
) -> OrderList:
    """One keyset page (50) of the tenant's orders, newest or largest first."""
    sort_col, kind = sort_key(filters)
    page = keyset_page(
        rows_query(tenant_id, filters),
        sort_col,
        Order.id,
        key=lambda row: (getattr(row, sort_col.key), row.id),
        kind=kind,
        after=after,
        before=before,
    )
    ids = [row.id for row in page.rows]
    labels, nets = item_labels(tenant_id, ids), order_nets(tenant_id, ids)
    rows = [
        OrderRow(**row._asdict(), items=labels.get(row.id, ""), net_minor=nets.get(row.id, 0))
        for row in page.rows
    ]
    count = count_orders(tenant_id, filters)
    return OrderList(
        rows, page, min(count, COUNT_CAP), count > COUNT_CAP, search_too_short(filters.q)
    )


def sort_key(filters: OrderFilters):
    """(column, cursor kind) of the list's sort; ties are broken by id."""
    if filters.sort == "amount":
        return Order.amount_minor, "int"
    return Order.created_at, "datetime"


def sort_order(filters: OrderFilters) -> tuple:
    column, _ = sort_key(filters)
    return column.desc(), Order.id.desc()


def count_orders(tenant_id: int, filters: OrderFilters) -> int:
    """Exact up to COUNT_CAP; COUNT_CAP + 1 means "more" (never a full COUNT)."""
    # Ordered like the list, so the planner walks the same index and stops at the cap.
    capped = (
        select(Order.id)
        .where(*conditions(tenant_id, filters))
        .order_by(*sort_order(filters))
        .limit(COUNT_CAP + 1)
    )
    return db.session.scalar(select(func.count()).select_from(capped.subquery())) or 0


def order_nets(tenant_id: int, order_ids: list[int]) -> dict[int, int]:
    """Net per order (approved - refunded - disputed), one grouped query for the page."""
    if not order_ids:
        return {}
    return ledger.nets_for_orders(tenant_id, order_ids)


def item_labels(tenant_id: int, order_ids: list[int]) -> dict[int, str]:
    """'First item +N' per order: the first line's plan name or publication title."""
    if not order_ids:
        return {}
    lines = db.session.execute(
        select(UserPlan.order_id, UserPlan.publication_id, Plan.name)
        .outerjoin(Plan, Plan.id == UserPlan.plan_id)
        .where(UserPlan.order_id.in_(order_ids))
        .order_by(UserPlan.order_id, UserPlan.id)
    ).all()
    titles = publication_titles(tenant_id, {ln.publication_id for ln in lines if ln.publication_id})
    grouped: dict[int, list[str]] = {}
    for line in lines:
        name = line.name if line.publication_id is None else titles.get(line.publication_id)
        grouped.setdefault(line.order_id, []).append(name or "Publication")
    return {
        order_id: names[0] + (f" +{len(names) - 1}" if len(names) > 1 else "")
        for order_id, names in grouped.items()
    }


def publication_titles(tenant_id: int, ids: set[int]) -> dict[int, str]:
    """Titles of publications sold by the tenant, including shared ones it does not own."""
    if not ids:
        return {}
    from app.models.catalog import Publication
    from services.catalog.scope import catalog_reads, visible_publications

    query = visible_publications(tenant_id, ids, live_only=False)
    with catalog_reads("commerce: titles of the publications an order sold"):
        rows = db.session.execute(query.with_only_columns(Publication.id, Publication.title))
        return {row.id: row.title for row in rows}


def find_order(tenant_id: int, order_uuid) -> Order:
    """The tenant's order by uuid; NotFound for another tenant's or an unknown one."""
    order = db.session.scalar(
        select(Order).where(Order.tenant_id == tenant_id, Order.uuid == order_uuid)
    )
    if order is None:
        raise NotFound("No such order.")
    return order
