"""The shelf cache: documented keys and JSON values under the catalogue and access versions
(spec 70 §4.4)."""

from __future__ import annotations

import json
import logging

from app.cache import CacheError
from app.extensions import cache
from services.catalog.versions import access_version, catalog_version

log = logging.getLogger("storefront")

CACHE_TTL_SECONDS = 3600
CACHE_KEY_PREFIX = "storefront"


def cache_key(
    tenant_id: int,
    user_id: int | None,
    mode: str,
    page: int,
    per_page: int,
    options_hash: str,
    *,
    catalog_token: str | None = None,
    access_token: str | None = None,
) -> str:
    """`storefront:{tenant}:{catalog_version}:{user|guest}:{access_version|0}:{mode}:{page}:
    {per_page}:{options_hash}`; the version tokens are read from the cache unless given."""
    catalog = catalog_token if catalog_token is not None else catalog_version(tenant_id)
    access = access_token if access_token is not None else access_version(tenant_id, user_id)
    who = "guest" if user_id is None else str(user_id)
    return (
        f"{CACHE_KEY_PREFIX}:{tenant_id}:{catalog}:{who}:{access}:"
        f"{mode}:{page}:{per_page}:{options_hash}"
    )


def load(key: str) -> dict | None:
    """The cached JSON value, or None when absent, unreadable or the cache is down."""
    try:
        raw = cache.get(key)
    except CacheError:
        log.warning("storefront.cache_get_failed key=%s", key)
        return None
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def store(key: str, value: dict) -> None:
    try:
        cache.set(key, json.dumps(value, separators=(",", ":")), CACHE_TTL_SECONDS)
    except CacheError:
        log.warning("storefront.cache_set_failed key=%s", key)
