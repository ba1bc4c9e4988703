"""Celery wiring: the app bound to Flask, and the tenant and platform task bases (spec 10 §8)."""

from __future__ import annotations

import logging
from pathlib import Path

from celery import Celery, Task

from services.errors import NoTenantContext, TenantNotFound, UnknownKillSwitch

log = logging.getLogger("workers")


def _base_task(flask_app):
    class AppTask(Task):
        """Runs inside a fresh Flask application context; rolls back whatever it left open."""

        abstract = True
        acks_late = True
        tenant_bound = False
        kill_switch: str | None = None  # a job's switch: while off, a call only records a skip

        def __init_subclass__(cls, **kwargs):
            super().__init_subclass__(**kwargs)
            from services.features.registry import SWITCHES

            name = cls.__dict__.get("kill_switch")
            if name is not None and name not in SWITCHES:
                raise UnknownKillSwitch(name)  # a typo fails when the task is declared

        def __call__(self, *args, **kwargs):
            from app.extensions import db
            from services.tenancy.bus import bus

            with flask_app.app_context():
                bus.ensure_listener()
                try:
                    return self.run_in_context(*args, **kwargs)
                finally:
                    db.session.remove()

        def run_in_context(self, *args, **kwargs):
            return self.run_guarded(*args, **kwargs)

        def run_guarded(self, *args, **kwargs):
            """The job guard rule at the start (spec 20 §6.2): while `kill_switch` is off the
            call records a skipped run and does nothing else; batches ask `jobs.guard()`."""
            from services import platform

            if self.kill_switch is None or platform.enabled(self.kill_switch):
                return self.run(*args, **kwargs)
            from app.extensions import db
            from services import jobs

            run = jobs.record_skipped(
                self.name,
                jobs.switch_off_reason(self.kill_switch),
                trigger=kwargs.get("trigger", "beat"),  # the beat schedule passes none
                tenant_id=kwargs.get("tenant_id") if self.tenant_bound else None,
                parent_id=kwargs.get("parent_id"),
                task_id=self.request.id,
            )
            db.session.commit()
            return {"skipped": run.skip_reason}

    return AppTask


class TenantTaskMixin:
    """Called with keyword tenant_id; runs in that tenant's context and restores the outer one."""

    tenant_bound = True

    def run_in_context(self, *args, **kwargs):
        from services.tenancy import context, resolver

        tenant_id = kwargs.get("tenant_id")
        if not isinstance(tenant_id, int) or isinstance(tenant_id, bool):
            raise NoTenantContext(f"{self.name} needs keyword tenant_id (int)")
        tenant = resolver.get_tenant(tenant_id)
        version = (self.request.headers or {}).get("tenant_version") if self.request else None
        log.debug("task %s tenant=%s enqueued_version=%s", self.name, tenant_id, version)
        token = context.enter_tenant(tenant)
        try:
            return self.run_guarded(*args, **kwargs)
        finally:
            context.reset_scope(token)


class PlatformTaskMixin:
    """Runs in platform context; works on tenants by dispatching one tenant task each."""

    def run_in_context(self, *args, **kwargs):
        from services.tenancy import context

        token = context.enter_platform()
        try:
            return self.run_guarded(*args, **kwargs)
        finally:
            context.reset_scope(token)


PERMANENT_ERRORS = (NoTenantContext, TenantNotFound)


def celery_init_app(flask_app) -> Celery:
    """Create the Celery app from the Flask config; tasks run inside the app context."""
    options = flask_app.config["CELERY"].get("broker_transport_options") or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in options:  # the embedded filesystem broker needs its folders
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    base = _base_task(flask_app)
    celery = Celery(flask_app.import_name, task_cls=base)
    celery.config_from_object(flask_app.config["CELERY"])
    celery.TenantTask = type("TenantTask", (TenantTaskMixin, base), {"abstract": True})
    celery.PlatformTask = type("PlatformTask", (PlatformTaskMixin, base), {"abstract": True})
    celery.set_default()
    flask_app.extensions["celery"] = celery
    from services import dispatch
    from workers import schedule
    from workers.tasks import register_all

    dispatch.install()
    celery.conf.beat_schedule = schedule.beat_schedule(flask_app.config)
    register_all(celery)
    return celery
