"""Quota enforcement for count limits (spec 20 §10): lock the tenant, count, compare, refuse."""

from __future__ import annotations

from datetime import UTC, datetime

from app.extensions import db
from services.errors import NotFound, QuotaExceeded
from services.features import catalog, registry, resolution, values
from services.tenancy import loader
from services.tenancy.context import TenantContext
from services.tenancy.helpers import tenant_lock

NOT_INCLUDED = "Not included in your platform plan."


def message(slug: str, limit, current: int) -> str:
    """The refusal people read (form error, toast, API message)."""
    if limit is None:
        return NOT_INCLUDED
    unit = registry.FEATURES[slug].unit
    return f"Your platform plan allows up to {limit} {unit}; {current} in use."


def enforce(tenant, slug: str, field: str | None = None) -> int:
    """Call right before adding one item counted by `slug` (a count limit of the registry):
    takes the tenant lock until the transaction ends, counts with the registered usage
    provider and raises QuotaExceeded (with `field` for the form) when one more is not
    allowed. Returns the count in use before the addition.

    `tenant` is a TenantContext, a Tenant row or a tenant id."""
    spec = registry.FEATURES.get(slug)
    if spec is None or spec.style != "count":
        raise ValueError(f"{slug} is not a count limit of the registry")
    provider = registry.usage_provider(slug)
    if provider is None:
        raise LookupError(f"no usage provider is registered for {slug}")
    tenant_id = int(tenant if isinstance(tenant, int) else tenant.id)
    tenant_lock(tenant_id)
    current = provider(tenant_id)
    limit = limit_in_transaction(tenant_id, slug)
    if limit is values.UNLIMITED or (limit is not None and current < limit):
        return current
    refusal = QuotaExceeded(slug, limit, current, message(slug, limit, current))
    refusal.field = field
    raise refusal


def limit_in_transaction(tenant_id: int, slug: str):
    """The limit as this transaction sees it, computed from the database and never cached: a
    tenant, plan or grant written moments ago in the same transaction must count, and nothing
    uncommitted may reach a cache another request would trust."""
    db.session.flush()  # the loader's plain SQL does not autoflush pending rows
    context: TenantContext | None = loader.load(db.session, "id", tenant_id)
    if context is None:
        raise NotFound("No such tenant.")
    now = datetime.now(UTC)
    feature_map = resolution.compute(
        context,
        catalog.load_from_database(),
        resolution.load_overrides(tenant_id, now),
        now,
    )
    entry = feature_map.entries.get(slug)
    return None if entry is None else entry.value
