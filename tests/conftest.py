"""Test harness: one database per run (PostgreSQL when reachable), a rolled-back transaction per
test, Redis and Chromium where reachable (required with CI=true), and factories."""

from __future__ import annotations

import os
import tempfile

import pytest
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import text
from sqlalchemy.orm import scoped_session, sessionmaker

from tests.support import services as reach

os.environ.setdefault("APP_ENV", "test")


def _require(available: bool, what: str) -> None:
    if available:
        return
    if reach.IN_CI:
        pytest.fail(f"{what} is required when CI=true", pytrace=False)
    pytest.skip(f"{what} is not reachable here")


@pytest.fixture(scope="session")
def database_url():
    if not reach.postgres_available():
        if reach.IN_CI:
            pytest.exit("PostgreSQL is required when CI=true", returncode=1)
        path = os.path.join(tempfile.mkdtemp(prefix="pubtest-"), "test.db")
        yield f"sqlite:///{path}"
        return
    with reach.scratch_postgres("test_run") as url:
        yield url


def make_test_app(database_url: str, **overrides):
    from app import create_app

    config = {
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": None,
        "BUS": "sync",
        "SECRET_KEY": "test-secret-key",
        "PLATFORM_DOMAIN": "localhost",
        "CELERY": {"task_always_eager": True, "broker_url": "memory://"},
        "DEMO_HISTORY": "small",
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(database_url):
    import flask_migrate

    from app.extensions import db
    from services import currencies
    from services.tenancy import context

    application = make_test_app(database_url)
    with application.app_context():
        flask_migrate.upgrade()
        token = context.enter_platform()
        currencies.seed()
        db.session.commit()
        context.reset_scope(token)
        db.session.remove()
    return application


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


def _reset_caches(app) -> None:
    """Point the process-wide cache and bus back at the session app and empty every tier."""
    from app.extensions import cache
    from services.features.wiring import reset_process_state
    from services.tenancy.bus import bus
    from services.tenancy.resolver import get_resolver

    bus.stop()
    bus.configure(app, app.config["BUS"])
    cache.backend = app.extensions["cache"]
    app.extensions["celery"].set_default()
    cache.clear()
    resolver = get_resolver()
    resolver.l1.clear()
    resolver.l1.min_version.clear()
    reset_process_state()


KEEP_TABLES = {"currencies", "alembic_version"}


def _empty_tables(app) -> None:
    from app.extensions import db
    from app.models import Base
    from services.features import versions

    with app.app_context():
        names = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        with db.engine.begin() as conn:
            existing = set(db.inspect(conn).get_table_names())
            names = [n for n in names if n in existing]
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
            else:
                for name in names:
                    conn.execute(text(f"DELETE FROM {name}"))
        db.session.remove()
        # The catalog rows the migrations create come back as a fresh database has them.
        versions.sync_catalog()
        db.session.commit()
        db.session.remove()


@pytest.fixture(autouse=True)
def _isolation(request, app):
    """Each test in a transaction that is rolled back, unless marked `committing`."""
    from app.extensions import db
    from services.tenancy import context

    _reset_caches(app)
    scope_token = context._current.set(context.Scope())
    if request.node.get_closest_marker("committing"):
        try:
            yield
        finally:
            context._current.reset(scope_token)
            _empty_tables(app)
            _reset_caches(app)
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
    original = db.session
    db.session = scoped_session(
        sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ),
        scopefunc=_app_ctx_id,
    )
    try:
        yield
    finally:
        for session in list(db.session.registry.registry.values()):
            session.close()  # whatever session any app context left open
        db.session = original
        outer.rollback()
        connection.close()
        context._current.reset(scope_token)
        _reset_caches(app)


@pytest.fixture
def build_app(app, database_url):
    """Build another app (other settings); the process-wide cache and bus return afterwards."""

    def build(**overrides):
        return make_test_app(database_url, **overrides)

    yield build
    _reset_caches(app)


@pytest.fixture
def ctx(app):
    """An application context for service-level tests."""
    with app.app_context():
        yield app


@pytest.fixture
def platform(ctx):
    """Platform context inside the app context, as a CLI command or platform task has."""
    from services.tenancy import context

    token = context.enter_platform()
    yield
    context.reset_scope(token)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def host_client(app):
    from tests.support.hosts import HostClient

    def make(host: str):
        return HostClient(app.test_client(), host)

    return make


@pytest.fixture
def redis_url():
    _require(reach.redis_available(), "Redis")
    import redis

    client = redis.Redis.from_url(reach.REDIS_URL)
    client.flushdb()
    yield reach.REDIS_URL
    client.flushdb()


@pytest.fixture
def chromium_path():
    _require(reach.chromium_available(), "Chromium")
    return reach.CHROMIUM


@pytest.fixture
def tenant_factory(app):
    from tests import factories

    return factories.TenantFactory


@pytest.fixture
def user_factory(app):
    from tests import factories

    return factories.UserFactory


@pytest.fixture
def shop(ctx, tenant_factory, user_factory):
    """A tenant with a reader, inside the tenant's scope: what commerce service tests need.
    Yields (tenant, reader)."""
    from services.tenancy import tenant_scope

    tenant = tenant_factory(status="active")
    reader = user_factory(tenant=tenant)
    with tenant_scope(tenant.id):
        yield tenant, reader
