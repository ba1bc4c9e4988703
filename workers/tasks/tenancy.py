"""Tenancy jobs: end trials and prune the invalidation table."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from services import jobs
from services.tenancy import tenants as tenant_service
from services.tenancy.maintenance import prune_invalidations
from workers.tasks.names import END_TRIALS, PRUNE_INVALIDATIONS


def register(celery) -> None:
    @celery.task(name=END_TRIALS, base=celery.PlatformTask, bind=True, shared=False)
    def end_trials(self, trigger: str = "beat") -> dict:
        run = jobs.start(END_TRIALS, trigger=trigger, task_id=self.request.id)
        counts = tenant_service.end_trials()
        jobs.finish(run, counts)
        db.session.commit()
        return counts

    @celery.task(name=PRUNE_INVALIDATIONS, base=celery.PlatformTask, bind=True, shared=False)
    def prune(self, trigger: str = "beat") -> dict:
        run = jobs.start(PRUNE_INVALIDATIONS, trigger=trigger, task_id=self.request.id)
        counts = {"examined": prune_invalidations(timedelta(hours=1))}
        jobs.finish(run, counts)
        db.session.commit()
        return counts
