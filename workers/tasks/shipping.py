"""Shipping jobs (spec 30 §9.5, §11): the daily run that creates the shipping notes paid charges
are owed. Beat starts a parent run that fans out one task per tenant with physicals_goods; each
child records its own run, asks the `shipping_notes_generation` switch and commits once."""

from __future__ import annotations

from app.extensions import db
from services import dispatch, jobs, shipping_cycles
from workers.tasks.names import CREATE_CYCLE_NOTES


def _fan_out(trigger: str, task_id) -> dict:
    run = jobs.start(CREATE_CYCLE_NOTES, trigger=trigger, task_id=task_id)
    tenant_ids = shipping_cycles.tenants_with_feature()
    db.session.commit()
    for tenant_id in tenant_ids:
        dispatch.send_now(
            CREATE_CYCLE_NOTES, tenant_id=tenant_id, parent_id=run.id, trigger=trigger
        )
    jobs.finish(run, {"tenants": len(tenant_ids)})
    db.session.commit()
    return {"tenants": len(tenant_ids)}


def _for_tenant(tenant_id: int, parent_id, trigger: str, task_id) -> dict:
    run = jobs.start(
        CREATE_CYCLE_NOTES, trigger, tenant_id=tenant_id, parent_id=parent_id, task_id=task_id
    )
    db.session.commit()
    if not jobs.guard(shipping_cycles.KILL_SWITCH).proceed(run):
        db.session.commit()
        return {"skipped": run.skip_reason}
    # Running twice is harmless: notes are inserted ON CONFLICT DO NOTHING.
    created = shipping_cycles.create_cycle_notes(tenant_id)
    jobs.finish(run, {"updated": created})
    db.session.commit()
    return {"updated": created}


def register(celery) -> None:
    @celery.task(
        name=CREATE_CYCLE_NOTES,
        base=celery.PlatformTask,
        bind=True,
        shared=False,
        acks_late=True,
        kill_switch=shipping_cycles.KILL_SWITCH,
    )
    def create_cycle_notes(self, tenant_id=None, parent_id=None, trigger="beat") -> dict:
        if tenant_id is None:
            return _fan_out(trigger, self.request.id)
        return _for_tenant(tenant_id, parent_id, trigger, self.request.id)
