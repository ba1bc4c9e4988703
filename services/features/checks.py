"""The checks every area asks: enabled, limit, within_limit, allows (spec 20 §5, §9)."""

from __future__ import annotations

import logging
from decimal import Decimal

from services.errors import UnknownFeature, WrongFeatureKind
from services.features import registry, values
from services.features.resolution import Effective, maps
from services.features.switches import board
from services.tenancy.context import TenantContext
from services.tenancy.resolver import get_tenant

log = logging.getLogger("features")

settings = {"strict": False}  # FEATURES_STRICT: unknown slugs raise (development and tests)
_unknown_reported: set[str] = set()


def _tenant(tenant) -> TenantContext:
    return tenant if isinstance(tenant, TenantContext) else get_tenant(int(tenant))


def _entry(tenant, slug: str) -> Effective | None:
    entry = maps.get(_tenant(tenant)).entries.get(slug)
    if entry is None:
        if slug in registry.FEATURES:
            return None  # declared but not synced yet: deny (the catalog logged it)
        if settings["strict"]:
            raise UnknownFeature(slug)
        if slug not in _unknown_reported:
            _unknown_reported.add(slug)
            log.error("features.unknown_feature slug=%s", slug)
    return entry


def enabled(tenant, slug: str, request=None) -> bool:
    """Rule order of spec 20 §5.1; `request` is a RequestSignals for the crawler gate."""
    entry = _entry(tenant, slug)
    return False if entry is None else decide(entry, request)


def decide(entry: Effective, request=None) -> bool:
    """Rules 2-4 and the map's answer for 5-8; kill switches and crawlers are read at check time."""
    if entry.deprecating:
        return True
    if entry.override_disabled:
        return False
    if entry.platform_controlled:
        if not board.enabled(entry.slug):
            return False
        return not (entry.crawler_gated and request is not None and request.is_crawler)
    return entry.granted


def limit(tenant, slug: str):
    """int, UNLIMITED, or None for no access (spec 20 §5.2)."""
    entry = _entry(tenant, slug)
    if entry is None:
        return None
    if entry.kind != "limit":
        raise WrongFeatureKind(f"{slug} is a boolean feature")
    return entry.value


def within_limit(tenant, slug: str, current: int) -> bool:
    """Count limits: may one more be added when `current` are in use?"""
    value = limit(tenant, slug)
    if value is None:
        return False
    return value is values.UNLIMITED or current < value


def allows(tenant, slug: str, amount: int | Decimal) -> bool:
    """Maximum limits: is `amount` at most the cap?"""
    value = limit(tenant, slug)
    if value is None:
        return False
    return value is values.UNLIMITED or Decimal(str(amount)) <= value


def effective_map(tenant) -> dict[str, Effective]:
    return dict(maps.get(_tenant(tenant)).entries)


def usage(tenant, slug: str) -> int | None:
    provider = registry.usage_provider(slug)
    return None if provider is None else provider(_tenant(tenant).id)
