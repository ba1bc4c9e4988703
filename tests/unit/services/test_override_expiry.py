"""Override expiry (spec 20 §2.4, §12; §15 item 31): an expired override counts as absent at
once; `features.expire_overrides` deletes it with one activity row by `system`, and twice is
harmless."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.activity import Activity
from app.models.base import utcnow
from app.models.features import TenantFeature
from app.models.jobs import JobRun
from app.models.tenancy import Tenant
from services import activity, features
from services.features import definitions, overrides
from services.tenancy.resolver import get_tenant

ACTOR = activity.Actor(label="tests")


@pytest.fixture
def tenant(platform, tenant_factory):
    return tenant_factory(status="active")


@pytest.fixture
def celery(app):
    return app.extensions["celery"]


def override(tenant, slug: str, expires_at=None, value="enabled") -> TenantFeature:
    feature = definitions.find_feature(slug)
    row = overrides.set_override(ACTOR, tenant, feature, value, "a pilot customer", expires_at)
    db.session.commit()
    return row


def remaining(tenant) -> list[str]:
    rows = db.session.scalars(select(TenantFeature).where(TenantFeature.tenant_id == tenant.id))
    return sorted(r.feature.slug for r in rows)


def expired_rows() -> list[Activity]:
    query = select(Activity).where(Activity.action == "tenant.override_expired")
    return list(db.session.scalars(query.order_by(Activity.id)))


def version(tenant) -> int:
    return db.session.scalar(select(Tenant.version).where(Tenant.id == tenant.id))


def test_an_expired_override_counts_as_absent_at_once(tenant):
    override(tenant, "automations", utcnow() + timedelta(seconds=1.2))
    context = get_tenant(tenant.id)
    assert features.enabled(context, "automations")
    time.sleep(1.3)
    # No job has run and nothing was purged: the map's validity ends with the override.
    assert not features.enabled(get_tenant(tenant.id), "automations")
    assert not features.explain(tenant.id, "automations").granted
    assert remaining(tenant) == ["automations"]


def test_expire_overrides_deletes_only_expired_rows_with_one_system_row_each(tenant):
    override(tenant, "automations", utcnow() + timedelta(minutes=1))
    override(tenant, "issues_limit", utcnow() + timedelta(minutes=2), value="10")
    override(tenant, "discount_coupons", utcnow() + timedelta(days=5))
    override(tenant, "consumption_api")
    before = version(tenant)
    counts = overrides.expire_overrides(now=utcnow() + timedelta(minutes=3))
    db.session.commit()
    assert counts == {"expired": 2, "tenants": 1}
    assert remaining(tenant) == ["consumption_api", "discount_coupons"]
    rows = expired_rows()
    assert [r.before["feature"] for r in rows] == ["automations", "issues_limit"]
    assert {(r.actor_label, r.actor_id, r.tenant_id) for r in rows} == {("system", None, tenant.id)}
    assert rows[1].before["value"] == "10" and rows[1].after == {
        "feature": "issues_limit",
        "value": None,
    }
    assert version(tenant) > before
    again = overrides.expire_overrides(now=utcnow() + timedelta(minutes=3))
    db.session.commit()
    assert again == {"expired": 0, "tenants": 0}
    assert len(expired_rows()) == 2 and version(tenant) == before + 1


def test_nothing_due_changes_nothing(tenant):
    override(tenant, "automations", utcnow() + timedelta(hours=1))
    before = version(tenant)
    assert overrides.expire_overrides() == {"expired": 0, "tenants": 0}
    db.session.commit()
    assert remaining(tenant) == ["automations"] and version(tenant) == before
    assert expired_rows() == []


def test_the_celery_task_runs_twice_and_records_its_runs(tenant, celery):
    row = override(tenant, "automations", utcnow() + timedelta(minutes=1))
    row.expires_at = utcnow() - timedelta(seconds=1)  # as if the minute had passed
    db.session.commit()
    task = celery.tasks["features.expire_overrides"]
    first, second = task.apply().get(), task.apply().get()
    assert first == {"expired": 1, "tenants": 1} and second == {"expired": 0, "tenants": 0}
    assert remaining(tenant) == [] and len(expired_rows()) == 1
    runs = db.session.scalars(
        select(JobRun).where(JobRun.job_name == "features.expire_overrides")
    ).all()
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert sorted(r.counts["expired"] for r in runs) == [0, 1]
    assert db.session.scalar(select(func.count()).select_from(TenantFeature)) == 0
