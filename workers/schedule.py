"""The beat schedule of every periodic job, in one place (times in UTC)."""

from celery.schedules import crontab

from workers.tasks.names import END_TRIALS, PRUNE_INVALIDATIONS


def beat_schedule(config) -> dict:
    schedule = {
        "tenancy-end-trials": {"task": END_TRIALS, "schedule": crontab(minute="*/5")},
    }
    if not config.get("REDIS_URL"):
        # The table bus exists only without Redis; its rows are pruned hourly.
        schedule["tenancy-prune-invalidations"] = {
            "task": PRUNE_INVALIDATIONS,
            "schedule": crontab(minute=7),
        }
    return schedule
