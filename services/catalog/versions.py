"""Catalogue and access version tokens: the storefront cache keys carry them, so a bump makes
every cached listing of that tenant (or that user's access) stale at once (spec 70 §4.4)."""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import select

from app.cache import CacheError
from app.extensions import cache, db
from app.models.storefront import CatalogEntry
from services.tenancy import invalidation
from services.tenancy.context import platform_scope

log = logging.getLogger("catalog")

TOKEN_TTL = 30 * 24 * 3600  # longer than any entry keyed by it; a lost token is a fresh start


def catalog_key(tenant_id: int) -> str:
    return f"storefront:{tenant_id}:catalog-version"


def access_key(tenant_id: int, user_id: int) -> str:
    return f"storefront:{tenant_id}:user:{user_id}:access-version"


def _token(key: str) -> str:
    """The current token under `key`, created (with `add`, so racing readers agree) when absent."""
    try:
        value = cache.get(key)
        if value is None:
            fresh = secrets.token_hex(6)
            value = fresh if cache.add(key, fresh, TOKEN_TTL) else cache.get(key) or fresh
        return value
    except CacheError:
        # Without a cache nothing is cached either; a random token keeps keys unshareable.
        return secrets.token_hex(6)


def catalog_version(tenant_id: int) -> str:
    return _token(catalog_key(tenant_id))


def access_version(tenant_id: int, user_id: int | None) -> str:
    return "0" if user_id is None else _token(access_key(tenant_id, user_id))


def _bump(keys: tuple[str, ...]) -> None:
    for key in keys:
        try:
            cache.set(key, secrets.token_hex(6), TOKEN_TTL)
        except CacheError:
            log.warning("catalog.version_bump_failed key=%s", key)


def bump_catalog_after_commit(*tenant_ids: int) -> None:
    """Bump these tenants' catalogue versions once the current transaction commits."""
    keys = tuple(catalog_key(t) for t in sorted(set(tenant_ids)))
    if keys:
        invalidation.register(db.session, "call", fn=lambda bind=None: _bump(keys))


def bump_access_after_commit(tenant_id: int, user_id: int) -> None:
    keys = (access_key(tenant_id, user_id),)
    invalidation.register(db.session, "call", fn=lambda bind=None: _bump(keys))


def bump_catalog_now(tenant_id: int) -> None:
    """For the CLI and scheduled releases, where nothing waits on a commit."""
    _bump((catalog_key(tenant_id),))


def tenants_holding(publication_id: int) -> list[int]:
    """Every tenant with a catalogue entry for the publication (owner, share and marketplace
    targets): a change to it bumps all of them."""
    with platform_scope("catalog: tenants holding a publication, for version bumps"):
        return list(
            db.session.scalars(
                select(CatalogEntry.tenant_id).where(CatalogEntry.publication_id == publication_id)
            )
        )


def bump_holders_after_commit(publication_id: int, *extra_tenant_ids: int) -> None:
    bump_catalog_after_commit(*tenants_holding(publication_id), *extra_tenant_ids)
