"""Feature jobs: apply due kill-switch schedules and delete expired overrides (spec 20 §12)."""

from __future__ import annotations

from app.extensions import db
from services import jobs
from services.features import kill_switches, overrides
from workers.tasks.names import APPLY_SWITCH_SCHEDULES, EXPIRE_OVERRIDES


def register(celery) -> None:
    @celery.task(name=APPLY_SWITCH_SCHEDULES, base=celery.PlatformTask, bind=True, shared=False)
    def apply_switch_schedules(self, trigger: str = "beat") -> dict:
        run = jobs.start(APPLY_SWITCH_SCHEDULES, trigger=trigger, task_id=self.request.id)
        counts = kill_switches.apply_due_schedules()
        jobs.finish(run, counts)
        db.session.commit()
        return counts

    @celery.task(name=EXPIRE_OVERRIDES, base=celery.PlatformTask, bind=True, shared=False)
    def expire_overrides(self, trigger: str = "beat") -> dict:
        run = jobs.start(EXPIRE_OVERRIDES, trigger=trigger, task_id=self.request.id)
        counts = overrides.expire_overrides()
        jobs.finish(run, counts)
        db.session.commit()
        return counts
