"""A real Celery worker for propagation tests, built from the environment at import:

    SWITCH_WATCH_DATABASE_URL=... SWITCH_WATCH_REDIS_URL=redis://...|'' SWITCH_WATCH_REPORT=path \
    [SWITCH_WATCH_BROKER_DIR=dir] celery -A tests.support.switch_worker worker --pool=solo -Q q

With Redis, Redis is the broker and the bus; without, Kombu's filesystem transport in
SWITCH_WATCH_BROKER_DIR is the broker and the `cache_invalidations` table the bus. The worker
writes "worker ready" to the report; its task `tests.watch_switch` reports like
switch_watcher.watch.
"""

from __future__ import annotations

import os

from celery.signals import worker_ready

from tests.support.switch_watcher import (
    WATCH_TASK,
    build,
    celery_settings,
    reporter,
    wait_for_listener,
    watch,
)

_redis_url = os.environ.get("SWITCH_WATCH_REDIS_URL") or None
_report = reporter(os.environ["SWITCH_WATCH_REPORT"])
flask_app = build(
    os.environ["SWITCH_WATCH_DATABASE_URL"],
    _redis_url,
    CELERY=celery_settings(_redis_url, os.environ.get("SWITCH_WATCH_BROKER_DIR")),
)
celery = flask_app.extensions["celery"]


@celery.task(name=WATCH_TASK, base=celery.PlatformTask, shared=False)
def watch_switch(name: str, changes: int) -> str:
    """Runs in the worker like any platform task (app context, bus listener started)."""
    wait_for_listener()
    watch(name, changes, _report)
    return "done"


@worker_ready.connect
def _announce(**kwargs) -> None:
    _report("worker ready")
