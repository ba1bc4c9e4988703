"""Tenant and platform task bases, enqueue after commit, and the tenancy jobs (spec 10 §8)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, JobRun, PlatformPlan, Tenant
from app.models.base import utcnow
from services import dispatch
from services.errors import NoTenantContext
from services.tenancy import context, tenant_scope
from services.tenancy.resolver import get_resolver
from tests.support.counting import count_queries
from tests.support.models import TABLES, ScopedNote
from workers import PlatformTaskMixin, TenantTaskMixin


@pytest.fixture
def celery(app):
    return app.extensions["celery"]


@pytest.fixture
def note_task(celery):
    name = "tests.note_bodies"
    if name not in celery.tasks:

        @celery.task(name=name, base=celery.TenantTask, shared=False)
        def note_bodies(tenant_id):
            assert context.current_tenant().id == tenant_id
            return sorted(n.body for n in db.session.scalars(select(ScopedNote)))

    return celery.tasks[name]


@pytest.fixture
def two_tenants(ctx, tenant_factory):
    with db.session.begin_nested():
        for table in TABLES:
            table.create(bind=db.session.connection())
    tenants = tenant_factory(slug="task-a"), tenant_factory(slug="task-b")
    for tenant in tenants:
        with tenant_scope(tenant.id):
            db.session.add(ScopedNote(body=f"note of {tenant.slug}"))
            db.session.commit()
    return tenants


def test_task_for_a_after_task_for_b_sees_only_a(two_tenants, note_task):
    a, b = two_tenants
    assert note_task.apply(kwargs={"tenant_id": b.id}).get() == ["note of task-b"]
    assert note_task.apply(kwargs={"tenant_id": a.id}).get() == ["note of task-a"]
    assert context.current_scope().kind == "none"


def test_eager_task_inside_another_tenant_restores_the_outer_context(two_tenants, note_task):
    a, b = two_tenants
    with tenant_scope(a.id):
        assert note_task.apply(kwargs={"tenant_id": b.id}).get() == ["note of task-b"]
        assert context.current_tenant().id == a.id
        assert sorted(n.body for n in db.session.scalars(select(ScopedNote))) == ["note of task-a"]


def test_task_without_tenant_fails_at_once_without_retry(ctx, note_task):
    result = note_task.apply(kwargs={})
    assert result.failed()
    assert isinstance(result.result, NoTenantContext)
    assert result.traceback and "retry" not in result.traceback.lower()


def test_warm_tenant_task_start_makes_no_query(ctx, tenant_factory, celery):
    tenant = tenant_factory(slug="task-warm")
    name = "tests.noop"
    if name not in celery.tasks:

        @celery.task(name=name, base=celery.TenantTask, shared=False)
        def noop(tenant_id):
            return tenant_id

    get_resolver().resolve_id(tenant.id)
    with count_queries() as queries:
        assert celery.tasks[name].apply(kwargs={"tenant_id": tenant.id}).get() == tenant.id
    assert queries == []


def test_every_registered_task_has_a_tenancy_base(celery):
    ours = [t for n, t in celery.tasks.items() if not n.startswith("celery.")]
    assert ours, "no task registered"
    wrong = [
        n
        for n in celery.tasks
        if not n.startswith("celery.")
        and not isinstance(celery.tasks[n], TenantTaskMixin | PlatformTaskMixin)
    ]
    assert wrong == []


def test_enqueue_after_commit_sends_on_commit_and_drops_on_rollback(
    ctx, tenant_factory, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        dispatch, "send_now", lambda name, headers=None, **kw: sent.append((name, kw))
    )
    tenant = tenant_factory(slug="task-enqueue")
    with tenant_scope(tenant.id):
        dispatch.enqueue_after_commit("tenancy.end_trials")
        db.session.rollback()
        assert sent == []
        dispatch.enqueue_after_commit("tenancy.end_trials")
        dispatch.enqueue_after_commit("tenancy.end_trials")  # the same send: once
        assert sent == []
        db.session.commit()
    assert sent == [("tenancy.end_trials", {})]
    with pytest.raises(LookupError):
        dispatch.enqueue_after_commit("no.such.task")


def _trial_tenant(tenant_factory, slug, with_plan):
    tenant = tenant_factory(slug=slug, trial=True)
    tenant.trial_ends_at = utcnow() - timedelta(minutes=1)
    if with_plan:
        plan = PlatformPlan(slug=f"plan-{slug}", name="Paid")
        db.session.add(plan)
        db.session.flush()
        tenant.platform_plan_id = plan.id
    db.session.commit()
    return tenant


def test_end_trials_runs_twice_with_the_same_outcome(ctx, tenant_factory, celery):
    ended = _trial_tenant(tenant_factory, "trial-over", with_plan=False)
    paid = _trial_tenant(tenant_factory, "trial-paid", with_plan=True)
    running = tenant_factory(slug="trial-running", trial=True)
    first = celery.tasks["tenancy.end_trials"].apply().get()
    second = celery.tasks["tenancy.end_trials"].apply().get()
    assert first == {"examined": 2, "updated": 2} and second == {"examined": 0, "updated": 0}
    statuses = dict(db.session.execute(select(Tenant.slug, Tenant.status)).all())
    assert statuses[ended.slug] == "suspended" and statuses[paid.slug] == "active"
    assert statuses[running.slug] == "trial"
    actors = db.session.scalars(
        select(Activity.actor_label).where(Activity.action == "tenant.trial_ended")
    ).all()
    assert actors == ["system", "system"]
    runs = db.session.scalar(select(func.count()).where(JobRun.job_name == "tenancy.end_trials"))
    assert runs == 2
