"""The library pages' listings: the filtered grid of `/library/filter` and the search preview
(spec 70 §5.1), both over InventoryService."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from app.extensions import db
from services.inventory.cards import InventoryPage
from services.inventory.options import FeatureGates, merge_options
from services.inventory.service import InventoryService

SEARCH_PREVIEW_SIZE = 8


def _inventory(tenant_id, user_id, gates, options, now) -> InventoryService:
    return InventoryService(
        db.session,
        tenant_id=tenant_id,
        user_id=user_id,
        gates=gates,
        now=now or datetime.now(UTC),
    ).with_options(merge_options(options))


def library_page(
    tenant_id: int,
    user_id: int | None,
    query,
    *,
    gates: FeatureGates,
    options: Mapping | None = None,
    now: datetime | None = None,
) -> InventoryPage:
    """One page of the grid for a parsed `/library/filter` query (a LibraryQuery)."""
    service = _inventory(tenant_id, user_id, gates, options, now)
    service = service.apply_filters(query.specs).languages(query.languages)
    if query.q:
        service = service.search(query.q)
    if query.order:
        service = service.order_by(query.order)
    return service.page(query.page, query.per_page, count=False)


def search_preview(
    tenant_id: int,
    user_id: int | None,
    q: str,
    *,
    gates: FeatureGates,
    options: Mapping | None = None,
    now: datetime | None = None,
) -> InventoryPage:
    """The active-search dropdown: the best eight matches for `q`."""
    service = _inventory(tenant_id, user_id, gates, options, now).search(q)
    return service.page(1, SEARCH_PREVIEW_SIZE, count=False)
