"""StorefrontService: the store page's shelves in four display modes, five to a page, cached
per catalogue and access version (spec 70 §4)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from app.extensions import db
from app.models.storefront import DISPLAY_MODES
from services.catalog.access import entitled_collection_term_ids
from services.inventory.options import (
    FeatureGates,
    StorefrontOptions,
    merge_options,
    options_hash,
)
from services.inventory.service import InventoryService
from services.inventory.url_contract import parse_library_query
from services.storefront import cache as shelf_cache
from services.storefront import shelves
from services.storefront.cache import CACHE_KEY_PREFIX, CACHE_TTL_SECONDS, cache_key
from services.storefront.shelves import Shelf, ShelfPage, ShelfSource

DEFAULT_ISSUES_PER_PAGE = 12
DEFAULT_SHELVES_PER_PAGE = 5

__all__ = [
    "CACHE_KEY_PREFIX",
    "CACHE_TTL_SECONDS",
    "DEFAULT_ISSUES_PER_PAGE",
    "DEFAULT_SHELVES_PER_PAGE",
    "Shelf",
    "ShelfPage",
    "StorefrontService",
    "cache_key",
]


class StorefrontService:
    """One reader's (or a guest's) view of a tenant's store page."""

    def __init__(
        self,
        tenant_id: int,
        user_id: int | None,
        issues_per_page: int,
        options: StorefrontOptions,
        gates: FeatureGates,
        now: datetime | None = None,
    ):
        self.tenant_id = tenant_id
        self.user_id = user_id
        self.issues_per_page = issues_per_page
        self.options = options
        self.gates = gates
        self.now = now or datetime.now(UTC)
        self.shelves_per_page = DEFAULT_SHELVES_PER_PAGE

    @classmethod
    def for_user(
        cls,
        tenant_id: int,
        user_id: int | None = None,
        issues_per_page: int = DEFAULT_ISSUES_PER_PAGE,
        options: Mapping | None = None,
        *,
        gates: FeatureGates,
        now: datetime | None = None,
    ) -> StorefrontService:
        """Options merge over the defaults; an unknown option name raises ValueError."""
        if issues_per_page < 1:
            raise ValueError("issues_per_page must be at least 1")
        return cls(tenant_id, user_id, issues_per_page, merge_options(options), gates, now)

    def cache_key(self, mode: str, page: int) -> str:
        return cache_key(
            self.tenant_id,
            self.user_id,
            mode,
            page,
            self.issues_per_page,
            options_hash(self.options),
        )

    def build_shelves(self, display_mode: str = "custom", page: int = 1) -> ShelfPage:
        if display_mode not in DISPLAY_MODES:
            raise ValueError(f"unknown display mode {display_mode!r}")
        # A denied recommendation gate renders exactly the custom page (and shares its entry).
        mode = display_mode
        if mode == "recommended" and not self.gates.recommended:
            mode = "custom"
        page = max(1, int(page))
        key = self.cache_key(mode, page)
        # A stored entry never holds personal shelves: they are not stored, and any shelf change
        # bumps the catalogue version in the key.
        cached = shelf_cache.load(key)
        if cached is not None:
            return ShelfPage.from_dict(cached)
        sources = self._sources(mode)
        result = self._paginate(sources, page)
        if not any(source.personal for source in sources):
            shelf_cache.store(key, result.to_dict())
        return result

    # -- sources --------------------------------------------------------------------------

    def _sources(self, mode: str) -> list[ShelfSource]:
        if mode == "collections":
            entitled = entitled_collection_term_ids(self.tenant_id, self.user_id)
            return shelves.collection_sources(self.tenant_id, set(entitled))
        if mode == "latest":
            include_scheduled = not self.options.exclude_scheduled_publications
            return shelves.month_sources(self.tenant_id, self.now, include_scheduled)
        custom = shelves.custom_sources(self.tenant_id)
        if mode == "recommended":
            return [shelves.recommended_source(), *custom]
        return custom

    def _paginate(self, sources: list[ShelfSource], page: int) -> ShelfPage:
        """Shelves (page-1)*5+1 .. page*5 counting only non-empty ones."""
        skip = (page - 1) * self.shelves_per_page
        seen = 0
        picked: list[Shelf] = []
        has_more = False
        for source in sources:
            if len(picked) == self.shelves_per_page:
                has_more = self._has_items(source)
                if has_more:
                    break
                continue
            if seen < skip:
                seen += self._has_items(source)
                continue
            shelf = self._fill(source)
            if shelf.cards:
                picked.append(shelf)
        if not picked and seen == 0 and page == 1:
            latest = self._fill(shelves.latest_source())
            picked = [latest] if latest.cards else []
        return ShelfPage(picked, has_more, page)

    # -- filling --------------------------------------------------------------------------

    def _limit(self, source: ShelfSource) -> int:
        if source.max_items is None:
            return self.issues_per_page
        return max(1, min(source.max_items, self.issues_per_page))

    def _inventory(self, source: ShelfSource) -> InventoryService:
        service = InventoryService(
            db.session,
            tenant_id=self.tenant_id,
            user_id=self.user_id,
            gates=self.gates,
            now=self.now,
        ).with_options(self.options)
        if source.manual_ids is not None:
            return service.restrict(source.manual_ids)
        query = parse_library_query(list(source.query), self.tenant_id, gates=self.gates)
        service = service.apply_filters(query.specs).languages(query.languages)
        if query.q:
            service = service.search(query.q)
        return service.order_by(query.order) if query.order else service

    def _has_items(self, source: ShelfSource) -> bool:
        if source.manual_ids is not None and not source.manual_ids:
            return False
        return bool(self._inventory(source).ids(1))

    def _fill(self, source: ShelfSource) -> Shelf:
        shelf = Shelf(
            title=source.title,
            uuid=source.uuid,
            kind=source.kind,
            style=source.style,
            see_all_url=source.see_all_url,
        )
        if source.manual_ids is not None and not source.manual_ids:
            return shelf
        limit = self._limit(source)
        if source.manual_ids is not None:
            # Every listable hand-picked item, then the shelf's own order.
            result = self._inventory(source).page(1, len(source.manual_ids), count=False)
            position = {pid: index for index, pid in enumerate(source.manual_ids)}
            cards = sorted(result.items, key=lambda card: position[card.id])
            shelf.cards, shelf.has_more = cards[:limit], len(cards) > limit
            return shelf
        result = self._inventory(source).page(1, limit, count=False)
        shelf.cards = list(result.items)
        shelf.has_more = bool(result.has_more)
        return shelf
