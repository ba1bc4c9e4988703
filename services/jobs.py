"""Job-run records: start, finish, skip, with counts and the first errors (spec 50 §7.4)."""

from __future__ import annotations

from app.extensions import db
from app.models.base import utcnow
from app.models.jobs import JobRun

MAX_ERRORS = 50


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


def fail(run: JobRun, message: str) -> JobRun:
    run.status, run.finished_at = "failed", utcnow()
    run.errors = [{"tenant": run.tenant_id, "object": None, "message": message[:500]}]
    return run


def recent(limit: int = 100) -> list[JobRun]:
    from sqlalchemy import select

    return list(db.session.scalars(select(JobRun).order_by(JobRun.started_at.desc()).limit(limit)))
