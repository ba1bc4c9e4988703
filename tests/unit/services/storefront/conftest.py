"""Storefront fixtures: a tenant whose scope the test runs in, and the cache the harness empties."""

from __future__ import annotations

import pytest

from services.tenancy.context import tenant_scope


@pytest.fixture
def shop(ctx, tenant_factory):
    """An active tenant; the test body runs in its scope (as a store request does)."""
    tenant = tenant_factory()
    with tenant_scope(tenant.id) as current:
        yield current
