"""The job guard rule (spec 20 §6.2; acceptance 13): a job guarded by `payment_sync` records a
skipped run and calls no gateway while the switch is off, and stops before the next batch when
the switch goes off mid-run."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import JobRun
from services import activity, jobs
from services.errors import UnknownKillSwitch
from services.features import kill_switches
from services.features.switches import board

ACTOR = activity.Actor(label="tests")
SYNC = "tests.guarded_payment_sync"
PLAIN = "tests.guarded_noop"
PER_TENANT = "tests.guarded_tenant_noop"
REASON = "kill switch payment_sync off"


class FakeGateway:
    """Stands in for a payment gateway: remembers every call; `between` runs after a batch."""

    def __init__(self):
        self.calls: list[int] = []
        self.between = None

    def fetch(self, batch: int) -> int:
        self.calls.append(batch)
        return 2  # payments examined in this batch


GATEWAY = {"current": FakeGateway()}


@pytest.fixture
def celery(app):
    celery = app.extensions["celery"]
    if SYNC not in celery.tasks:

        @celery.task(
            name=SYNC, base=celery.PlatformTask, bind=True, shared=False, kill_switch="payment_sync"
        )
        def guarded_payment_sync(self, trigger="beat", batches=3):
            gateway = GATEWAY["current"]
            run = jobs.start(SYNC, trigger=trigger, task_id=self.request.id)
            guard = jobs.guard(self.kill_switch)
            counts = {"examined": 0}
            for batch in range(1, batches + 1):
                if not guard.proceed(run, counts):
                    db.session.commit()
                    return {"skipped": run.skip_reason, **counts}
                counts["examined"] += gateway.fetch(batch)
                db.session.commit()  # one commit per batch (ARCHITECTURE.md rule 5)
                if gateway.between:
                    gateway.between(batch)
            jobs.finish(run, counts)
            db.session.commit()
            return counts

        @celery.task(name=PLAIN, base=celery.PlatformTask, shared=False, kill_switch="payment_sync")
        def guarded_noop(trigger="beat"):
            GATEWAY["current"].fetch(0)
            return "ran"

        @celery.task(
            name=PER_TENANT, base=celery.TenantTask, shared=False, kill_switch="payment_sync"
        )
        def guarded_tenant_noop(tenant_id, parent_id=None, trigger="chained"):
            GATEWAY["current"].fetch(tenant_id)
            return "ran"

    return celery


@pytest.fixture
def gateway():
    GATEWAY["current"] = FakeGateway()
    yield GATEWAY["current"]
    GATEWAY["current"] = FakeGateway()


def turn(on: bool) -> None:
    kill_switches.toggle_switch(ACTOR, "payment_sync", on, "a reason of ten characters")
    db.session.commit()


def runs(name: str = SYNC) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).where(JobRun.job_name == name)))


def test_switch_on_runs_every_batch(platform, celery, gateway):
    assert celery.tasks[SYNC].apply().get() == {"examined": 6}
    assert gateway.calls == [1, 2, 3]
    [run] = runs()
    assert run.status == "succeeded" and run.skip_reason is None
    assert run.counts == {"examined": 6, "errors": 0}


def test_switch_off_records_a_skipped_run_and_calls_no_gateway_twice(platform, celery, gateway):
    turn(False)
    first = celery.tasks[SYNC].apply().get()
    second = celery.tasks[SYNC].apply().get()  # every task can run twice (rule 7)
    assert first == second == {"skipped": REASON}
    assert gateway.calls == []
    assert [(r.status, r.skip_reason, r.trigger) for r in runs()] == [
        ("skipped", REASON, "beat"),
        ("skipped", REASON, "beat"),
    ]
    assert all(r.finished_at is not None and r.counts == {"errors": 0} for r in runs())


def test_turned_off_mid_run_stops_before_the_next_batch(platform, celery, gateway):
    gateway.between = lambda batch: turn(False) if batch == 2 else None
    result = celery.tasks[SYNC].apply(kwargs={"batches": 5}).get()
    assert gateway.calls == [1, 2]  # batch 3 never started
    assert result == {"skipped": f"{REASON}; stopped before batch 3", "examined": 4}
    [run] = runs()
    assert run.status == "skipped" and run.finished_at is not None
    assert run.skip_reason == f"{REASON}; stopped before batch 3"
    assert run.counts == {"examined": 4, "errors": 0}  # what was done stays recorded


def test_switch_back_on_runs_again(platform, celery, gateway):
    turn(False)
    celery.tasks[SYNC].apply().get()
    turn(True)
    assert celery.tasks[SYNC].apply().get() == {"examined": 6}
    assert [r.status for r in runs()] == ["skipped", "succeeded"]


def test_environment_force_off_skips_even_with_the_database_on(
    platform, celery, gateway, monkeypatch
):
    monkeypatch.setattr(board, "forced_off", board.forced_off)  # restored after the test
    board.configure({"FEATURE_CONTROL_PAYMENT_SYNC": "false"})
    assert celery.tasks[PLAIN].apply(kwargs={"trigger": "manual"}).get() == {"skipped": REASON}
    assert gateway.calls == []
    [run] = runs(PLAIN)
    assert (run.status, run.skip_reason, run.trigger) == ("skipped", REASON, "manual")


def test_task_base_skips_before_the_body_runs(platform, celery, gateway):
    assert celery.tasks[PLAIN].apply().get() == "ran"
    assert gateway.calls == [0] and runs(PLAIN) == []  # the body writes no run of its own
    turn(False)
    assert celery.tasks[PLAIN].apply().get() == {"skipped": REASON}
    assert gateway.calls == [0]
    [run] = runs(PLAIN)
    assert (run.status, run.skip_reason, run.trigger) == ("skipped", REASON, "beat")


def test_tenant_task_skip_is_recorded_for_its_tenant_and_parent(
    platform, celery, gateway, tenant_factory
):
    tenant = tenant_factory(slug="guarded-child")
    parent = jobs.start("tests.guarded_dispatcher", trigger="beat")
    db.session.commit()
    turn(False)
    kwargs = {"tenant_id": tenant.id, "parent_id": parent.id, "trigger": "chained"}
    assert celery.tasks[PER_TENANT].apply(kwargs=kwargs).get() == {"skipped": REASON}
    assert gateway.calls == []
    [run] = runs(PER_TENANT)
    assert (run.status, run.tenant_id, run.parent_id) == ("skipped", tenant.id, parent.id)


def test_unknown_switch_fails_when_declared(celery):
    with pytest.raises(UnknownKillSwitch):

        @celery.task(
            name="tests.misspelt_guard",
            base=celery.PlatformTask,
            shared=False,
            kill_switch="payment_synk",
        )
        def misspelt():
            return None

    assert "tests.misspelt_guard" not in celery.tasks
    with pytest.raises(UnknownKillSwitch):
        jobs.guard("payment_synk")


def test_skip_needs_a_reason(ctx):
    run = jobs.start("tests.reasonless", trigger="manual")
    with pytest.raises(ValueError):
        jobs.skip(run, "  ")
    assert run.status == "running" and run.skip_reason is None
