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
        counts = jobs.recorded(END_TRIALS, tenant_service.end_trials, trigger, self.request.id)
        db.session.commit()
        return counts

    @celery.task(name=PRUNE_INVALIDATIONS, base=celery.PlatformTask, bind=True, shared=False)
    def prune(self, trigger: str = "beat") -> dict:
        def prune_hourly() -> dict:
            return {"examined": prune_invalidations(timedelta(hours=1))}

        counts = jobs.recorded(PRUNE_INVALIDATIONS, prune_hourly, trigger, self.request.id)
        db.session.commit()
        return counts
