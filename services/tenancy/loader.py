"""The unified tenant query and the payload built from it."""

from datetime import UTC, datetime

from sqlalchemy import Boolean, Uuid, bindparam, text

from app.models.base import UTCDateTime
from services.tenancy.context import TenantContext

_BASE = """
SELECT t.id, t.uuid, t.slug, t.name, t.status, t.status_reason, t.platform_plan_id,
       t.trial_ends_at, t.timezone, t.locale, t.default_currency, t.version,
       d.host, d.kind, d.is_primary
FROM tenants t JOIN domains d ON d.tenant_id = t.id
WHERE {where}
ORDER BY d.is_primary DESC, d.host
"""
_COLUMNS = {"uuid": Uuid(), "trial_ends_at": UTCDateTime(), "is_primary": Boolean()}


def _statement(where: str, key_type=None):
    stmt = text(_BASE.format(where=where))
    if key_type is not None:
        stmt = stmt.bindparams(bindparam("key", type_=key_type))
    return stmt.columns(**_COLUMNS)


BY_HOST = _statement("t.id = (SELECT tenant_id FROM domains WHERE host = :key)")
BY_ID = _statement("t.id = :key")
BY_UUID = _statement("t.uuid = :key", Uuid())

# Counted by tests and the benchmark: every unified query passes through load().
stats = {"queries": 0}


def load(executor, kind: str, key) -> TenantContext | None:
    """Run the unified query by 'host', 'id' or 'uuid'; `executor` is a session or connection."""
    statement = {"host": BY_HOST, "id": BY_ID, "uuid": BY_UUID}[kind]
    stats["queries"] += 1
    rows = executor.execute(statement, {"key": key}).all()
    if not rows:
        return None
    first = rows[0]
    return TenantContext(
        id=int(first.id),
        uuid=str(first.uuid),
        slug=first.slug,
        name=first.name,
        status=first.status,
        version=int(first.version),
        default_currency=first.default_currency,
        timezone=first.timezone,
        locale=first.locale,
        platform_plan_id=first.platform_plan_id,
        trial_ends_at=first.trial_ends_at,
        status_reason=first.status_reason,
        domains=tuple((r.host, r.kind, bool(r.is_primary)) for r in rows),
        loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
