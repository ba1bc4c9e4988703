"""enqueue_after_commit: send a task by its registered name once the transaction commits."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.database import outer_transaction_open
from app.extensions import db
from services.errors import CrossTenantWrite
from services.tenancy.context import current_tenant_or_none

log = logging.getLogger("dispatch")

PENDING = "dispatch_after_commit"


def _registry():
    return current_app.extensions["celery"]


def enqueue_after_commit(name: str, **kwargs) -> None:
    """Queue task `name` with keyword ids; sent after commit, dropped on rollback."""
    task = _registry().tasks.get(name)
    if task is None:
        raise LookupError(f"no registered task named {name!r}")
    tenant = current_tenant_or_none()
    if getattr(task, "tenant_bound", False) and tenant is not None:
        given = kwargs.setdefault("tenant_id", tenant.id)
        if given != tenant.id:
            raise CrossTenantWrite(f"{name} for tenant {given} from tenant {tenant.id}'s context")
    headers = {"tenant_version": tenant.version} if tenant is not None else {}
    pending = db.session.info.setdefault(PENDING, [])
    # The same task with the same ids twice in one transaction is one send: every task can
    # run twice anyway, and a run after commit sees the whole transaction's work.
    if not any(n == name and k == kwargs for n, k, _ in pending):
        pending.append((name, kwargs, headers))


def send_now(name: str, headers: dict | None = None, **kwargs):
    """Send at once by name; under eager mode (tests, tools) run it in this process."""
    celery = _registry()
    if celery.conf.task_always_eager:
        return celery.tasks[name].apply(kwargs=kwargs, headers=headers or {})
    return celery.send_task(name, kwargs=kwargs, headers=headers or {})


def _send(session: Session) -> None:
    if outer_transaction_open(session):
        return
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    for name, kwargs, headers in pending:
        try:
            send_now(name, headers=headers, **kwargs)
        except Exception:  # the commit stands; a scheduled job reconciles what is lost
            log.exception("dispatch.send_failed task=%s", name)


def _drop(session: Session, *args) -> None:
    session.info.pop(PENDING, None)


def install() -> None:
    if not event.contains(Session, "after_commit", _send):
        event.listen(Session, "after_commit", _send)
        event.listen(Session, "after_rollback", _drop)
