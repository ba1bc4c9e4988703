"""Synthetic commerce volume for development and test databases (`commerce seed-load`): readers,
orders with their lines and payment rows in one tenant, bulk-inserted for benchmarks and EXPLAIN
tests. The payment rows go through ledger_bulk, the only other writer of the ledger."""

from __future__ import annotations

import hashlib
import random
import time
import uuid as uuid_lib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import BulkImport, Order, Plan, PlanPrice, UserPlan
from app.models.gateways import Gateway
from app.models.tenancy import User
from services import ledger_bulk
from services.commerce_load_rows import (
    OrderSpec,
    decide_partial,
    line_values,
    order_values,
    payment_rows,
    terms_since,
)
from services.errors import ValidationError
from services.tenancy.context import tenant_scope
from services.tenancy.resolver import get_tenant

DETAIL_ROWS = 60  # the order the detail benchmark opens has this many payment rows
DAYS = 730  # orders spread over the last two years
ORDER_BATCH = 5_000
GATEWAYS = {"stripe": "live", "mercadopago": "live", "payu": "sandbox"}
SOURCES = (
    ("stripe", 45), ("mercadopago", 30), ("payu", 5), ("manual", 8), ("bulk", 6),
    ("lti", 2), ("saml", 2), ("external", 2),
)  # fmt: skip
SALE_STATUSES = (
    ("approved", 70), ("pending", 8), ("cancelled", 7), ("refunded", 5), ("error", 4),
    ("expired", 3), ("paused", 2), ("dispute_lost", 1),
)  # fmt: skip
PLANS = (  # key, name, type, interval, duration, price, weight among gateway orders
    ("monthly", "Load monthly", "recurring", "month", None, 999, 60),
    ("annual", "Load annual", "recurring", "year", None, 9900, 10),
    ("prepaid", "Load 12 months", "prepaid", None, 12, 8900, 30),
    ("external", "Load external", "external", None, 12, 15000, 0),
)
# Fewest rows an order of each status can show; a pending or expired checkout may have none.
MIN_ROWS = {"approved": 1, "paused": 1, "refunded": 2, "dispute_lost": 2, "cancelled": 1}
MIN_ROWS |= {"error": 1, "pending": 0, "expired": 0}
ROW_WEIGHT = {"cancelled": 2.0, "error": 1.5, "pending": 0.6, "expired": 0.3}


@dataclass(frozen=True)
class LoadResult:
    orders: int
    payments: int
    users: int
    detail_order_uuid: uuid_lib.UUID
    seconds: float


def _pick(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def _dialect_insert(table):
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _gateways(tenant_id: int, currency: str) -> dict[str, tuple[int, bool]]:
    """type -> (id, sandbox): the tenant's live configuration row, made when missing."""
    found = {}
    for kind, environment in GATEWAYS.items():
        row = db.session.scalar(
            select(Gateway).where(
                Gateway.tenant_id == tenant_id, Gateway.type == kind, Gateway.deleted_at.is_(None)
            )
        )
        if row is None:
            row = Gateway(
                tenant_id=tenant_id,
                type=kind,
                environment=environment,
                supported_currencies=[currency],
                credentials="",
            )
            db.session.add(row)
            db.session.flush()
        found[kind] = (row.id, row.sandbox)
    return found


def _plans(tenant_id: int, currency: str) -> dict[str, Plan]:
    """The load's plans by key, reused by a later load of the same tenant."""
    found = {}
    for key, name, kind, interval, duration, price, _ in PLANS:
        plan = db.session.scalar(select(Plan).where(Plan.tenant_id == tenant_id, Plan.name == name))
        if plan is None:
            plan = Plan(
                tenant_id=tenant_id,
                name=name,
                type=kind,
                interval=interval,
                interval_count=1 if interval else None,
                duration_months=duration,
                private=True,
            )
            plan.prices = [PlanPrice(tenant_id=tenant_id, currency=currency, amount_minor=price)]
            db.session.add(plan)
            db.session.flush()
        found[key] = plan
    return found


def _users(tenant_id: int, slug: str, count: int) -> list[tuple[int, str]]:
    """`count` readers named load.NNNNN@<slug>.test (kept across loads): (id, email)."""
    now = utcnow()
    emails = [f"load.{index:05d}@{slug}.test" for index in range(count)]
    statement = _dialect_insert(User.__table__).on_conflict_do_nothing(
        index_elements=["tenant_id", "email"], index_where=User.tenant_id.is_not(None)
    )
    rows = [
        {"tenant_id": tenant_id, "email": email, "name": f"Load reader {index}", "role": "reader",
         "is_staff": False, "uuid": uuid_lib.uuid4(), "session_token": uuid_lib.uuid4().hex,
         "created_at": now, "updated_at": now}
        for index, email in enumerate(emails)
    ]  # fmt: skip
    for start in range(0, len(rows), ORDER_BATCH):
        db.session.execute(statement, rows[start : start + ORDER_BATCH])
    ids: dict[str, int] = {}
    for start in range(0, len(emails), 1000):
        query = select(User.__table__.c.email, User.__table__.c.id).where(
            User.__table__.c.tenant_id == tenant_id,
            User.__table__.c.email.in_(emails[start : start + 1000]),
        )
        ids.update(dict(db.session.execute(query).all()))
    return [(ids[email], email) for email in emails]


def _bulk_import(tenant_id: int, rows: int) -> int:
    token = uuid_lib.uuid4().hex
    row = BulkImport(
        tenant_id=tenant_id,
        filename="load.csv",
        file_sha256=hashlib.sha256(token.encode()).hexdigest(),
        status="completed",
        total_rows=rows,
        processed_rows=rows,
        created_count=rows,
        started_at=utcnow(),
        finished_at=utcnow(),
        created_at=utcnow(),  # set here: the column's now() default fails on SQLite
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def _specs(rng: random.Random, count: int, users: int, now: datetime) -> list[OrderSpec]:
    """Order 0 is the detail order: a two-year monthly subscription."""
    plan_mix = [(key, weight) for key, *_, weight in PLANS if weight]
    specs = [OrderSpec(0, now - timedelta(days=DAYS), 0, "stripe", "approved", "monthly")]
    for index in range(1, count):
        source = _pick(rng, SOURCES)
        created = now - timedelta(seconds=rng.uniform(60, DAYS * 86_400))
        if source in ("stripe", "mercadopago", "payu"):
            status, plan = _pick(rng, SALE_STATUSES), _pick(rng, plan_mix)
        elif source == "external":
            status, plan = "approved", "external"
        else:
            status = "approved" if rng.random() < 0.9 else "cancelled"
            plan = _pick(rng, plan_mix)
        specs.append(OrderSpec(index, created, rng.randrange(users), source, status, plan))
    return specs


def _natural(spec: OrderSpec, now: datetime) -> int:
    """Charges the order would have had by now: one per term since it was created."""
    if spec.plan == "prepaid":
        return 1
    return terms_since(spec.created, 12 if spec.plan == "annual" else 1, now)


def _quotas(rng: random.Random, specs: list[OrderSpec], payments: int, now: datetime) -> None:
    """Spread `payments` rows over the paid orders, in proportion to their history."""
    paid = [s for s in specs[1:] if s.source in GATEWAYS]
    externals = sum(1 for s in specs if s.source == "external")
    budget = payments - DETAIL_ROWS - externals
    floor = sum(MIN_ROWS[s.status] for s in paid)
    if budget < floor:
        raise ValidationError(
            f"{len(specs):,} orders need at least {floor + DETAIL_ROWS + externals:,} payments.",
            field="payments",
        )
    weights = [ROW_WEIGHT.get(s.status) or _natural(s, now) + 0.3 for s in paid]
    total = sum(weights) or 1.0
    spare = budget - floor
    given = 0
    for spec, weight in zip(paid, weights, strict=True):
        spec.quota = MIN_ROWS[spec.status] + int(spare * weight / total)
        given += spec.quota
    for spec in rng.choices(paid, k=budget - given) if paid else ():
        spec.quota += 1
    specs[0].quota = DETAIL_ROWS
    for spec in specs:
        if spec.source == "external":
            spec.quota = 1
        decide_partial(spec, rng)


def _write(table, rows: list[dict]) -> list[int]:
    """Give the rows new ids and write them; returns the ids in row order."""
    ids = ledger_bulk.reserve_ids(table, len(rows))
    ledger_bulk.write_rows(
        table, [{"id": row_id, **row} for row_id, row in zip(ids, rows, strict=True)]
    )
    return ids


def load(
    tenant_id: int, orders: int, payments: int, env: str, *, users: int | None = None, seed=7
) -> LoadResult:
    """Generate `orders` orders (one line each) and exactly `payments` payment rows in the
    tenant, created over the last two years; flushes, the caller commits."""
    ledger_bulk.check_env(env)
    if orders < 1 or payments < DETAIL_ROWS:
        raise ValidationError(f"Ask for 1+ orders and {DETAIL_ROWS}+ payments.", "orders")
    started, rng, now = time.perf_counter(), random.Random(seed), utcnow()
    tenant = get_tenant(tenant_id)
    readers = users or max(20, min(5_000, orders // 60))
    with tenant_scope(tenant_id):
        context = {
            "tenant_id": tenant_id,
            "currency": tenant.default_currency,
            "gateways": _gateways(tenant_id, tenant.default_currency),
            "plans": _plans(tenant_id, tenant.default_currency),
            "users": _users(tenant_id, tenant.slug, readers),
            "now": now,
            "rng": rng,
        }
        specs = _specs(rng, orders, readers, now)
        context["bulk_import_id"] = _bulk_import(
            tenant_id, sum(1 for s in specs if s.source == "bulk")
        )
        _quotas(rng, specs, payments, now)
        written = 0
        for start in range(0, len(specs), ORDER_BATCH):
            chunk = specs[start : start + ORDER_BATCH]
            order_ids = _write(Order.__table__, [order_values(s, context) for s in chunk])
            line_ids = _write(
                UserPlan.__table__,
                [line_values(s, oid, context) for s, oid in zip(chunk, order_ids, strict=True)],
            )
            rows = []
            for spec, order_id, line_id in zip(chunk, order_ids, line_ids, strict=True):
                rows += payment_rows(spec, order_id, line_id, context)
            written += ledger_bulk.insert_history(rows, env=env)
        db.session.flush()
    return LoadResult(
        orders, written, readers, specs[0].uuid, round(time.perf_counter() - started, 1)
    )
