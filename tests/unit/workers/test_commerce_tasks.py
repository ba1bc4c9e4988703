"""Commerce housekeeping tasks (spec 30 §11): a parent run fans out per tenant, each child
commits per batch, a second run changes nothing, and the kill switch records a skipped run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import JobRun
from app.models.commerce import Order
from services.features import kill_switches
from services.tenancy import context, tenant_scope
from tests.factories import ACTOR
from tests.support.commerce import make_order, make_plan
from workers.tasks.names import EXPIRE_USER_PLANS, PRUNE_PENDING_ORDERS


@pytest.fixture
def celery(app):
    return app.extensions["celery"]


@pytest.fixture
def stale(ctx, tenant_factory, user_factory):
    """A tenant with an ended prepaid grant and a six-month-old unpaid order."""
    tenant = tenant_factory(status="active")
    reader = user_factory(tenant=tenant)
    with tenant_scope(tenant.id):
        plan = make_plan(tenant.id, type="prepaid", duration_months=1)
        ended = make_order(tenant.id, reader.id, gateway_type="manual", plan=plan)
        ended.lines[0].expires_at = datetime.now(UTC) - timedelta(hours=1)
        unpaid = make_order(tenant.id, reader.id)
        unpaid.created_at = datetime.now(UTC) - timedelta(days=190)
        db.session.commit()
        ids = ended.id, unpaid.id
    token = context.enter_platform()
    yield tenant, ids
    context.reset_scope(token)


def _runs(name):
    return list(db.session.scalars(select(JobRun).where(JobRun.job_name == name)))


def test_expire_runs_twice_and_changes_the_line_once(celery, stale):
    tenant, (ended_id, _) = stale
    task = celery.tasks[EXPIRE_USER_PLANS]
    task.apply(kwargs={}).get()
    children = [r for r in _runs(EXPIRE_USER_PLANS) if r.tenant_id == tenant.id]
    assert children[0].counts["updated"] == 1 and children[0].parent_id is not None
    task.apply(kwargs={}).get()
    children = [r for r in _runs(EXPIRE_USER_PLANS) if r.tenant_id == tenant.id]
    assert sorted(r.counts["updated"] for r in children) == [0, 1]
    with tenant_scope(tenant.id):
        assert db.session.get(Order, ended_id).lines[0].status == "expired"


def test_prune_runs_twice(celery, stale):
    tenant, (_, unpaid_id) = stale
    task = celery.tasks[PRUNE_PENDING_ORDERS]
    assert task.apply(kwargs={"tenant_id": tenant.id}).get()["updated"] == 1
    assert task.apply(kwargs={"tenant_id": tenant.id}).get()["updated"] == 0
    with tenant_scope(tenant.id):
        db.session.expunge_all()
        assert db.session.get(Order, unpaid_id) is None


def test_switch_off_records_a_skipped_run(celery, stale):
    tenant, (ended_id, _) = stale
    kill_switches.toggle_switch(ACTOR, "commerce_housekeeping", False, "maintenance window")
    db.session.commit()
    try:
        result = celery.tasks[EXPIRE_USER_PLANS].apply(kwargs={"tenant_id": tenant.id}).get()
        assert result == {"skipped": "kill switch commerce_housekeeping off"}
        [run] = _runs(EXPIRE_USER_PLANS)
        assert run.status == "skipped"
        with tenant_scope(tenant.id):
            assert db.session.get(Order, ended_id).lines[0].status == "approved"
    finally:
        kill_switches.toggle_switch(ACTOR, "commerce_housekeeping", True, "maintenance over")
        db.session.commit()
