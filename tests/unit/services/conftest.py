"""Feature-service fixtures: plan Growth and an active tenant on it."""

from __future__ import annotations

import pytest

from app.extensions import db
from services import activity
from services.features import definitions, grants

ACTOR = activity.Actor(label="tests")


@pytest.fixture
def plan(platform):
    return definitions.create_plan(ACTOR, slug="growth", name="Growth")


@pytest.fixture
def tenant(platform, tenant_factory, plan):
    row = tenant_factory(status="active")
    grants.assign_plan(ACTOR, row, plan)
    db.session.commit()
    return row
