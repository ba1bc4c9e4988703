"""Small tenancy helpers: per-tenant cache keys, the quota lock, absolute tenant URLs."""

from urllib.parse import urlencode

from sqlalchemy import select

from app.extensions import db
from app.models.tenancy import Tenant
from services.tenancy.context import TenantContext, current_tenant


def cache_key(*parts) -> str:
    """A cache key that can never be shared between tenants."""
    return ":".join(["t", str(current_tenant().id), *map(str, parts)])


def tenant_lock(tenant_id: int) -> None:
    """Serialise quota checks per tenant (row lock on PostgreSQL; SQLite is single-writer)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())


def url_for_tenant(
    tenant: TenantContext, path: str, *, scheme: str, port: int | None, **query
) -> str:
    """An absolute URL on the tenant's primary host (emails, gateway return URLs)."""
    netloc = tenant.primary_host + (f":{port}" if port else "")
    suffix = f"?{urlencode(query)}" if query else ""
    return f"{scheme}://{netloc}{path}{suffix}"
