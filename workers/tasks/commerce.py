"""Daily commerce housekeeping (spec 30 §11): expire ended lines and prune stale unpaid orders.
Beat starts a parent run that fans out one task per tenant; each child commits per batch and
asks the `commerce_housekeeping` switch before every batch."""

from __future__ import annotations

from app.extensions import db
from app.models.base import utcnow
from services import dispatch, jobs, order_housekeeping
from services.tenancy import tenant_scope
from workers.tasks.names import EXPIRE_USER_PLANS, PRUNE_PENDING_ORDERS

SWITCH = "commerce_housekeeping"


def _fan_out(name: str, trigger: str, task_id) -> dict:
    run = jobs.start(name, trigger=trigger, task_id=task_id)
    tenant_ids = order_housekeeping.tenant_ids()
    db.session.commit()
    for tenant_id in tenant_ids:
        dispatch.send_now(name, tenant_id=tenant_id, parent_id=run.id, trigger=trigger)
    jobs.finish(run, {"tenants": len(tenant_ids)})
    db.session.commit()
    return {"tenants": len(tenant_ids)}


def _batches(name: str, batch, tenant_id: int, parent_id, trigger: str, task_id) -> dict:
    """Run `batch(tenant_id, now)` until it returns 0, committing each batch."""
    run = jobs.start(name, trigger, tenant_id=tenant_id, parent_id=parent_id, task_id=task_id)
    db.session.commit()
    guard, done, now = jobs.guard(SWITCH), 0, utcnow()
    with tenant_scope(tenant_id):
        while guard.proceed(run, {"updated": done}):
            changed = batch(tenant_id, now)
            done += changed
            db.session.commit()
            if not changed:
                jobs.finish(run, {"updated": done})
                break
    db.session.commit()
    return {"updated": done, "status": run.status}


def register(celery) -> None:
    @celery.task(
        name=EXPIRE_USER_PLANS,
        base=celery.PlatformTask,
        bind=True,
        shared=False,
        acks_late=True,
        kill_switch=SWITCH,
    )
    def expire_user_plans(self, tenant_id=None, parent_id=None, trigger="beat") -> dict:
        if tenant_id is None:
            return _fan_out(EXPIRE_USER_PLANS, trigger, self.request.id)
        return _batches(
            EXPIRE_USER_PLANS,
            order_housekeeping.expire_batch,
            tenant_id,
            parent_id,
            trigger,
            self.request.id,
        )

    @celery.task(
        name=PRUNE_PENDING_ORDERS,
        base=celery.PlatformTask,
        bind=True,
        shared=False,
        acks_late=True,
        kill_switch=SWITCH,
    )
    def prune_pending_orders(self, tenant_id=None, parent_id=None, trigger="beat") -> dict:
        if tenant_id is None:
            return _fan_out(PRUNE_PENDING_ORDERS, trigger, self.request.id)
        return _batches(
            PRUNE_PENDING_ORDERS,
            order_housekeeping.prune_batch,
            tenant_id,
            parent_id,
            trigger,
            self.request.id,
        )
