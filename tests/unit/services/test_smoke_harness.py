"""The harness itself: rows written in one test are gone in the next."""

from sqlalchemy import func, select

from app.extensions import db
from app.models.tenancy import Tenant


def test_first_writes_a_tenant(ctx, tenant_factory):
    tenant_factory(slug="harness-check")
    assert db.session.scalar(select(func.count()).select_from(Tenant)) == 1


def test_second_sees_no_tenant(ctx):
    assert db.session.scalar(select(func.count()).select_from(Tenant)) == 0
