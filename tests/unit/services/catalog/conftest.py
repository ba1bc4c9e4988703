"""Catalogue fixtures: publishers on a platform plan with an `issues_limit`, publications made
through the services in a tenant's context, and a private storage root."""

from __future__ import annotations

import pytest

from app.extensions import db
from services.features import grants
from tests.unit.services.catalog.helpers import ACTOR, make_plan


@pytest.fixture
def storage_root(app, tmp_path, monkeypatch):
    root = tmp_path / "storage"
    monkeypatch.setitem(app.config, "STORAGE_URL", f"file://{root}")
    return root


@pytest.fixture
def make_publisher(platform, tenant_factory):
    """An active tenant on a plan granting `issues_limit` (None: no grant), committed."""

    def make(issues_limit: str | None = "10", **kwargs):
        tenant = tenant_factory(status="active", **kwargs)
        grants.assign_plan(ACTOR, tenant, make_plan(issues_limit))
        db.session.commit()
        return tenant

    return make


@pytest.fixture
def publisher(make_publisher):
    return make_publisher()


@pytest.fixture
def other(make_publisher):
    return make_publisher()
