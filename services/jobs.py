"""Job-run records: start, finish, skip, with counts and the first errors (spec 50 §7.4), and the
kill-switch guard every guarded job asks before it starts and before each batch (spec 20 §6.2)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow
from app.models.jobs import JobRun
from services import platform
from services.errors import UnknownKillSwitch
from services.features import registry

MAX_ERRORS = 50
REASON_LENGTH = 255  # job_runs.skip_reason


def start(
    job_name: str, trigger: str = "beat", tenant_id: int | None = None, parent_id=None, task_id=None
) -> JobRun:
    run = JobRun(
        job_name=job_name,
        trigger=trigger,
        tenant_id=tenant_id,
        parent_id=parent_id,
        celery_task_id=task_id,
        status="running",
        counts={},
        errors=[],
    )
    db.session.add(run)
    db.session.flush()
    return run


def finish(run: JobRun, counts: dict, errors: list | None = None) -> JobRun:
    errors = list(errors or [])[:MAX_ERRORS]
    run.counts = {**counts, "errors": len(errors)}
    run.errors = errors
    run.status = "succeeded" if not errors else ("partial" if counts.get("updated") else "failed")
    run.finished_at = utcnow()
    return run


def recorded(job_name: str, work, trigger: str = "beat", task_id=None) -> dict:
    """Run `work()` (which returns counts) inside a job-run record; the caller commits."""
    run = start(job_name, trigger=trigger, task_id=task_id)
    counts = work()
    finish(run, counts)
    return counts


def fail(run: JobRun, message: str) -> JobRun:
    run.status, run.finished_at = "failed", utcnow()
    run.errors = [{"tenant": run.tenant_id, "object": None, "message": message[:500]}]
    return run


def skip(
    run: JobRun, reason: str, counts: dict | None = None, errors: list | None = None
) -> JobRun:
    """Finish `run` as skipped because of `reason`; `counts` and `errors` keep what it had done
    before it stopped (empty for a run skipped at its start)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a skipped run needs a reason")
    errors = list(errors or [])[:MAX_ERRORS]
    run.status, run.skip_reason = "skipped", reason[:REASON_LENGTH]
    run.counts = {**(counts or {}), "errors": len(errors)}
    run.errors = errors
    run.finished_at = utcnow()
    return run


def switch_off_reason(name: str) -> str:
    return f"kill switch {name} off"


class KillSwitchGuard:
    """The job guard rule (spec 20 §6.2) for one job run: ask when the job starts and before
    each batch; while the switch is off the job records a skipped run and does nothing more."""

    def __init__(self, name: str):
        if name not in registry.SWITCHES:
            raise UnknownKillSwitch(name)  # a typo must fail before the job does any work
        self.name = name
        self.batches = 0  # batches let through by proceed()

    @property
    def reason(self) -> str:
        return switch_off_reason(self.name)

    def allowed(self) -> bool:
        """The switch's effective state in this process (memory only: cheap enough per batch)."""
        return platform.enabled(self.name)

    def proceed(self, run: JobRun, counts: dict | None = None, errors: list | None = None) -> bool:
        """Call before each batch, the first call being the job's start: True lets the batch
        run; False means the switch is off and `run` is now recorded as skipped, with the
        counts of the batches already done. The caller commits and returns."""
        if self.allowed():
            self.batches += 1
            return True
        reason = self.reason
        if self.batches:
            reason = f"{reason}; stopped before batch {self.batches + 1}"
        skip(run, reason, counts, errors)
        return False


def guard(name: str) -> KillSwitchGuard:
    """A guard for one run of a job controlled by kill switch `name`."""
    return KillSwitchGuard(name)


def record_skipped(
    job_name: str,
    reason: str,
    trigger: str = "beat",
    tenant_id: int | None = None,
    parent_id=None,
    task_id=None,
) -> JobRun:
    """A run that did nothing at all: started and skipped in one go."""
    run = start(job_name, trigger, tenant_id=tenant_id, parent_id=parent_id, task_id=task_id)
    return skip(run, reason)


def recent(limit: int = 100) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).order_by(JobRun.started_at.desc()).limit(limit)))
