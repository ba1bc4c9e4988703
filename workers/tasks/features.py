"""Feature jobs: apply due kill-switch schedules and delete expired overrides (spec 20 §12)."""

from __future__ import annotations

from app.extensions import db
from services import jobs
from services.features import kill_switches, overrides
from workers.tasks.names import APPLY_SWITCH_SCHEDULES, EXPIRE_OVERRIDES


def register(celery) -> None:
    @celery.task(name=APPLY_SWITCH_SCHEDULES, base=celery.PlatformTask, bind=True, shared=False)
    def apply_switch_schedules(self, trigger: str = "beat") -> dict:
        counts = jobs.recorded(
            APPLY_SWITCH_SCHEDULES, kill_switches.apply_due_schedules, trigger, self.request.id
        )
        db.session.commit()
        return counts

    @celery.task(name=EXPIRE_OVERRIDES, base=celery.PlatformTask, bind=True, shared=False)
    def expire_overrides(self, trigger: str = "beat") -> dict:
        counts = jobs.recorded(
            EXPIRE_OVERRIDES, overrides.expire_overrides, trigger, self.request.id
        )
        db.session.commit()
        return counts
