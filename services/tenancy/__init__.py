"""Tenancy: contexts, resolution with its two-tier cache, invalidation, scoping (spec 10)."""

from services.tenancy.context import (
    Scope,
    TenantContext,
    current_scope,
    current_tenant,
    current_tenant_id,
    current_tenant_or_none,
    enter_platform,
    enter_tenant,
    is_platform_context,
    platform_scope,
    reset_scope,
    set_scope,
    tenant_scope,
)
from services.tenancy.helpers import cache_key, tenant_lock, url_for_tenant
from services.tenancy.invalidation import touch
from services.tenancy.resolver import get_resolver, get_tenant

__all__ = [
    "Scope",
    "TenantContext",
    "cache_key",
    "current_scope",
    "current_tenant",
    "current_tenant_id",
    "current_tenant_or_none",
    "enter_platform",
    "enter_tenant",
    "get_resolver",
    "get_tenant",
    "is_platform_context",
    "platform_scope",
    "reset_scope",
    "set_scope",
    "tenant_lock",
    "tenant_scope",
    "touch",
    "url_for_tenant",
]
