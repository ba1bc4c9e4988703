"""Shared setup of the functional HTTP tests: rows made before any request, signed-in clients,
and extra apps built with other settings."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from tests.factories import PASSWORD
from tests.support.hosts import HostClient

PLATFORM_HOST = "app.localhost"


def host_of(tenant) -> str:
    return f"{tenant.slug}.localhost"


def text(response) -> str:
    return response.get_data(as_text=True)


def error_code(response) -> str | None:
    return (response.get_json(silent=True) or {}).get("error")


def element(html: str, element_id: str) -> str:
    """The text inside the element with this id (no nesting of the same tag)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no element #{element_id}"
    return match.group(1).strip()


@pytest.fixture
def make_tenant(app, tenant_factory):
    """Creates (and commits) a tenant before any request; returns the detached row."""

    def make(**kwargs):
        with app.app_context():
            return tenant_factory(**kwargs)

    return make


@pytest.fixture
def make_user(app, user_factory):
    """A reader (admin=True: an admin) of `tenant`, or a staff member when tenant is None."""

    def make(**kwargs):
        with app.app_context():
            return user_factory(**kwargs)

    return make


@pytest.fixture
def signed_in(app):
    """A fresh client on `host`, signed in through the real login form."""

    def sign_in(host: str, email: str, password: str = PASSWORD) -> HostClient:
        client = HostClient(app.test_client(), host)
        path = "/platform/login" if host == PLATFORM_HOST else "/login"
        response = client.login(email, password, path=path)
        assert response.status_code == 303, text(response)
        return client

    return sign_in


@pytest.fixture
def staff_user(make_user):
    return make_user(email="staff@example.com")


@pytest.fixture
def staff(signed_in, staff_user) -> HostClient:
    """A staff member signed in on the platform host."""
    return signed_in(PLATFORM_HOST, staff_user.email)


@pytest.fixture
def other_app(app, build_app):
    """Builds another app on the test database with config overrides; it joins the test's
    transaction and shares the cache the harness clears (build_app restores the globals)."""
    from app.extensions import cache

    def build(**overrides):
        built = build_app(**overrides)
        built.extensions["cache"] = cache.backend = app.extensions["cache"]
        return built

    return build


@contextmanager
def in_platform(app):
    """An app context in platform context, committed at the end (as a CLI command does)."""
    from app.extensions import db
    from services.tenancy import context

    with app.app_context():
        token = context.enter_platform()
        try:
            yield db.session
            db.session.commit()
        finally:
            context.reset_scope(token)


@pytest.fixture
def add_domain(app):
    """Adds a custom domain to a tenant through the domain service and commits."""
    from app.extensions import db
    from app.models.tenancy import Tenant
    from services.tenancy import domains
    from tests.factories import ACTOR

    def add(tenant, host: str, primary: bool = False) -> str:
        with in_platform(app):
            domains.add_domain(ACTOR, db.session.get(Tenant, tenant.id), host, primary)
        return host

    return add
