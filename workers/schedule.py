"""The beat schedule of every periodic job, in one place (times in UTC)."""

from celery.schedules import crontab

from workers.tasks.names import (
    APPLY_SWITCH_SCHEDULES,
    CREATE_CYCLE_NOTES,
    END_TRIALS,
    EXPIRE_OVERRIDES,
    EXPIRE_USER_PLANS,
    PRUNE_INVALIDATIONS,
    PRUNE_PENDING_ORDERS,
    PURGE_BULK_FILES,
    RELEASE_SCHEDULED,
)


def beat_schedule(config) -> dict:
    schedule = {
        "tenancy-end-trials": {"task": END_TRIALS, "schedule": crontab(minute="*/5")},
        # Scheduled switch changes are due within 15 s of their time (spec 20 §6.4).
        "features-apply-switch-schedules": {"task": APPLY_SWITCH_SCHEDULES, "schedule": 15.0},
        "features-expire-overrides": {"task": EXPIRE_OVERRIDES, "schedule": crontab(minute="*/5")},
        # Scheduled publications appear within a minute of their time (spec 70 §11 item 13).
        "catalog-release-scheduled": {"task": RELEASE_SCHEDULED, "schedule": crontab()},
        # Commerce housekeeping and shipping cycles, daily (spec 30 §11).
        "commerce-expire-user-plans": {
            "task": EXPIRE_USER_PLANS,
            "schedule": crontab(hour=2, minute=10),
        },
        "commerce-prune-pending-orders": {
            "task": PRUNE_PENDING_ORDERS,
            "schedule": crontab(hour=2, minute=40),
        },
        "commerce-purge-bulk-files": {"task": PURGE_BULK_FILES, "schedule": crontab(hour=4)},
        "shipping-create-cycle-notes": {
            "task": CREATE_CYCLE_NOTES,
            "schedule": crontab(hour=3, minute=20),
        },
    }
    if not config.get("REDIS_URL"):
        # The table bus exists only without Redis; its rows are pruned hourly.
        schedule["tenancy-prune-invalidations"] = {
            "task": PRUNE_INVALIDATIONS,
            "schedule": crontab(minute=7),
        }
    return schedule
