"""After-commit invalidation of the tenant cache: version bumps, write-through, broadcast."""

from __future__ import annotations

import logging

from sqlalchemy import Engine, event, update
from sqlalchemy.orm import Session

from app.cache import CacheError
from app.database import outer_transaction_open
from app.extensions import cache, db
from app.models.base import utcnow
from app.models.tenancy import Tenant
from services.tenancy import loader
from services.tenancy.bus import bus
from services.tenancy.resolver import domain_key, get_resolver, missing_key, payload_key, uuid_key

log = logging.getLogger("tenancy")

PENDING = "tenancy_invalidations"


def _pending(session: Session) -> list:
    return session.info.setdefault(PENDING, [])


def register(session: Session, kind: str, **args) -> None:
    """Queue an invalidation to run after this session commits (dropped on rollback, I3)."""
    _pending(session).append((kind, args))


def touch(tenant_id: int, added_hosts=(), removed_hosts=()) -> None:
    """I5: bump the tenant's version in this transaction and invalidate after commit."""
    db.session.execute(
        update(Tenant)
        .where(Tenant.id == tenant_id)
        .values(version=Tenant.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    register(
        db.session,
        "tenant",
        tenant_id=tenant_id,
        added_hosts=tuple(added_hosts),
        removed_hosts=tuple(removed_hosts),
    )


def invalidate_tenant(tenant_id: int, added_hosts=(), removed_hosts=(), bind=None) -> None:
    """Write the fresh payload through, drop stale pointers, tell every process (spec 10 §5.2)."""
    bind = bind if bind is not None else db.engine
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            tenant = loader.load(conn, "id", tenant_id)
    else:
        tenant = loader.load(bind, "id", tenant_id)
    hosts = set(added_hosts) | set(removed_hosts)
    try:
        if tenant is not None:
            get_resolver().write_payload(tenant)
            cache.set(uuid_key(tenant.uuid), str(tenant.id), 800)
            hosts |= tenant.hosts
        else:
            cache.delete(payload_key(tenant_id))
        cache.delete(*[domain_key(h) for h in removed_hosts])
        cache.delete(*[missing_key(h) for h in added_hosts])
    except CacheError as exc:
        log.warning("tenancy.cache_error during invalidation: %s", exc)
    bus.publish(
        {
            "type": "tenant",
            "id": tenant_id,
            "version": tenant.version if tenant else None,
            "hosts": sorted(hosts),
        },
        bind=bind,
    )


def announce_host(host: str, bind=None) -> None:
    """I6: a new host must not stay hidden behind a negative entry."""
    try:
        cache.delete(missing_key(host))
    except CacheError as exc:
        log.warning("tenancy.cache_error during invalidation: %s", exc)
    bus.publish({"type": "host", "host": host}, bind=bind)


def purge_all(bind=None) -> None:
    bus.publish({"type": "all"}, bind=bind)


def apply_message(message: dict, local: bool) -> None:
    """Bus handler: drop this process's L1 entries (and its in-process L2 for other senders)."""
    resolver = get_resolver()
    kind = message.get("type")
    drop_l2 = not local and not getattr(cache.backend, "shared_across_processes", False)
    if kind == "tenant":
        hosts = message.get("hosts") or ()
        resolver.l1.drop_tenant(int(message["id"]), hosts, message.get("version"))
        if drop_l2:
            cache.delete(payload_key(int(message["id"])), *[domain_key(h) for h in hosts])
            cache.delete(*[missing_key(h) for h in hosts])
    elif kind == "host":
        resolver.l1.negative.pop(message["host"])
        if drop_l2:
            cache.delete(missing_key(message["host"]))
    elif kind == "all":
        resolver.l1.clear()
        if drop_l2:
            cache.clear()


def _run_pending(session: Session) -> None:
    if outer_transaction_open(session):
        return
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    bind = session.get_bind()
    for kind, args in pending:
        try:
            if kind == "tenant":
                invalidate_tenant(bind=bind, **args)
            elif kind == "host":
                announce_host(bind=bind, **args)
            elif kind == "all":
                purge_all(bind=bind)
            elif kind == "call":  # other areas' after-commit work (features: catalog, switches)
                args["fn"](bind=bind)
        except Exception:  # the commit already happened; the TTLs bound the staleness
            log.exception("tenancy.invalidation_failed kind=%s args=%s", kind, args)


def _discard(session: Session, *args) -> None:
    session.info.pop(PENDING, None)


def install() -> None:
    if not event.contains(Session, "after_commit", _run_pending):
        event.listen(Session, "after_commit", _run_pending)
        event.listen(Session, "after_rollback", _discard)
    bus.add_handler(apply_message)
