"""The orders benchmark's tenant: a store with an admin who signs in, 200,000 orders and
1,000,000 payment rows loaded by services.commerce_load, and the look-ups the measurements
need (the 60-row order, a deep keyset cursor, pending orders for the ledger throughput)."""

from __future__ import annotations

import time

from sqlalchemy import func, select, text

SLUG = "bench-orders"
HOST = f"{SLUG}.localhost"
ADMIN = f"admin@{SLUG}.example"
PASSWORD = "bench-password"  # noqa: S105 - a throwaway database's login
CURRENCY = "USD"
DEEP_PAGE = 50  # the keyset page the deep row opens (rows before it: 49 pages of 50)
TABLES = ("orders", "users_plans", "payments", "users", "gateways", "plans")


def create_tenant(app) -> int:
    """Through the services: a platform plan allowing admins, the tenant on it, its admin."""
    from app.extensions import db
    from services import currencies, users
    from services.activity import Actor
    from services.features import definitions, grants
    from services.tenancy import context, tenant_scope
    from services.tenancy import tenants as tenant_service

    actor = Actor(label="benchmark")
    with app.app_context():
        token = context.enter_platform()
        try:
            currencies.seed()
            plan = definitions.create_plan(actor, slug="bench-orders", name="Bench orders")
            grants.set_grant(actor, plan, definitions.find_feature("admin_limit"), "5")
            tenant, _ = tenant_service.create_tenant(
                actor, slug=SLUG, name="Bench Orders", status="active", currency=CURRENCY
            )
            grants.assign_plan(actor, tenant, plan)
            tenant_id = tenant.id
            db.session.commit()
            with tenant_scope(tenant_id):
                users.create_user(
                    actor, tenant_id, email=ADMIN, name="Bench admin", role="admin",
                    password=PASSWORD,
                )  # fmt: skip
                db.session.commit()
        finally:
            context.reset_scope(token)
            db.session.remove()
    return tenant_id


def load(app, tenant_id: int, orders: int, payments: int):
    """commerce_load in one transaction; (LoadResult, seconds including the commit)."""
    from app.extensions import db
    from services import commerce_load
    from services.tenancy import context

    with app.app_context():
        token = context.enter_platform()
        try:
            started = time.perf_counter()
            result = commerce_load.load(tenant_id, orders, payments, app.config["APP_ENV"])
            db.session.commit()
            return result, time.perf_counter() - started
        finally:
            context.reset_scope(token)
            db.session.remove()


def vacuum_analyze(app) -> None:
    """Statistics and a clean visibility map, as autovacuum would leave a settled store."""
    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in TABLES:
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))


def lookups(app, tenant_id: int, detail_uuid) -> dict:
    """The detail order's id, a cursor DEEP_PAGE pages into the default list, and an e-mail
    that has orders (the search box's prefix)."""
    from app.extensions import db
    from app.models.commerce import Order
    from app.models.tenancy import User
    from services import order_cursor
    from services.order_queries import OrderFilters, conditions
    from services.tenancy import tenant_scope

    with app.app_context(), tenant_scope(tenant_id):
        detail_id = db.session.scalar(select(Order.id).where(Order.uuid == detail_uuid))
        position = (
            select(Order.created_at, Order.id)
            .where(*conditions(tenant_id, OrderFilters()))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .offset((DEEP_PAGE - 1) * order_cursor.PAGE_SIZE - 1)
            .limit(1)
        )
        created, row_id = db.session.execute(position).one()
        email = db.session.scalar(
            select(User.email)
            .join(Order, Order.user_id == User.id)
            .where(User.tenant_id == tenant_id, User.email.like("load.%"))
            .group_by(User.email)
            .order_by(func.count(Order.id).desc())
            .limit(1)
        )
        db.session.remove()
    return {
        "detail_id": detail_id,
        "deep_cursor": order_cursor.encode(created, row_id),
        "email_prefix": email.split("@")[0] + "@",
    }


def pending_orders(app, tenant_id: int, count: int) -> list[tuple[int, int, int, int | None]]:
    """(order id, line id, price, gateway id) of `count` pending gateway orders."""
    from app.extensions import db
    from app.models.commerce import Order, UserPlan
    from services.tenancy import tenant_scope

    with app.app_context(), tenant_scope(tenant_id):
        rows = db.session.execute(
            select(Order.id, UserPlan.id, UserPlan.price_minor, Order.gateway_id)
            .join(UserPlan, UserPlan.order_id == Order.id)
            .where(
                Order.tenant_id == tenant_id,
                Order.status == "pending",
                Order.gateway_id.is_not(None),
            )
            .order_by(Order.id)
            .limit(count)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]
