"""Store page fixtures: a tenant, catalogue rows committed before any request, clients."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from app.extensions import db
from services.tenancy.context import tenant_scope
from tests.functional.conftest import host_of
from tests.support.hosts import HostClient

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HX = {"HX-Request": "true"}


@pytest.fixture
def shop(make_tenant):
    return make_tenant(slug="shop", name="Shop Books")


@pytest.fixture
def stock(app, shop):
    """`with stock() as tenant_id:` writes catalogue rows as the shop, committed at the end."""

    @contextmanager
    def block():
        with app.app_context(), tenant_scope(shop.id):
            yield shop.id
            db.session.commit()

    return block


@pytest.fixture
def visitor(app, shop):
    """A guest on the shop's host with a browser User-Agent (or another one)."""

    def make(user_agent: str = BROWSER, application=None) -> HostClient:
        client = HostClient((application or app).test_client(), host_of(shop))
        client.client.environ_base["HTTP_USER_AGENT"] = user_agent
        return client

    return make
