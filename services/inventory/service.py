"""InventoryService (spec 70 §3): a tenant's catalogue narrowed by filters, languages and search,
in one order, as pages of cards or a list of ids."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Self
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, select

from app.data.iso639_1 import is_valid as is_language
from app.models.catalog import Publication
from app.models.storefront import CatalogEntry, PublicationStat
from app.models.tenancy import Tenant
from services.catalog import access
from services.catalog.scope import catalog_reads, visible_publications
from services.inventory import filter_queries, scope_options
from services.inventory.cards import InventoryPage, build_cards, card_loader_options
from services.inventory.filters import (
    MAX_VALUES,
    PERSONAL,
    AcceptedFilter,
    InventoryFilter,
    dropped,
    validate_filters,
)
from services.inventory.lookups import Lookups
from services.inventory.options import (
    DEFAULT_OPTIONS,
    FeatureGates,
    StorefrontOptions,
    merge_options,
)
from services.inventory.paging import DEFAULT_PER_PAGE, clean_page, clean_per_page
from services.inventory.recommendations import recommended_ids
from services.inventory.search import apply_search, normalise_query
from services.tenancy.context import current_tenant_or_none

log = logging.getLogger("inventory.filters")

ORDER_KEYS = ("published_at", "title", "sales", "relevance")
LANGUAGE = re.compile(r"[a-z]{2}")


class InventoryService:
    """Fluent listing of one tenant's catalogue for one reader (None = guest).

    `continue_reading` needs reading_sessions (spec 60), which do not exist yet: signed-in
    readers get an empty result (guests the sign-in prompt) until analytics provides them.
    `timezone` (IANA name) bounds year/month filters; by default the tenant's own."""

    def __init__(
        self,
        session,
        *,
        tenant_id: int,
        user_id: int | None,
        gates: FeatureGates,
        now: datetime,
        timezone: str | None = None,
    ):
        self.session = session
        self.tenant_id = tenant_id
        self.user_id = user_id
        self.gates = gates
        self.now = now
        self._timezone = timezone
        self._specs: list = []
        self._languages: list[str] = []
        self._q: str | None = None
        self._order: str | None = None
        self._options: StorefrontOptions = DEFAULT_OPTIONS
        self._accepted: list[AcceptedFilter] | None = None
        self._only_ids: list[int] | None = None

    # -- building ------------------------------------------------------------------------
    def apply_filters(self, specs: Iterable[tuple[str, str]]) -> Self:
        self._specs.extend(specs)
        self._accepted = None
        return self

    def languages(self, codes: Sequence[str]) -> Self:
        for raw in codes:
            code = str(raw).strip().lower()
            if not (LANGUAGE.fullmatch(code) and is_language(code)):
                dropped(self.tenant_id, "language", raw, "invalid")
            elif code not in self._languages:
                if len(self._languages) >= MAX_VALUES:
                    dropped(self.tenant_id, "language", raw, "over_total_cap")
                else:
                    self._languages.append(code)
        return self

    def search(self, q: str | None) -> Self:
        if q and not self.gates.search:
            log.info("inventory.search_ignored tenant=%s reason=gate", self.tenant_id)
            return self
        self._q = normalise_query(q)
        return self

    def order_by(self, key: str | None) -> Self:
        if key is not None and key not in ORDER_KEYS:
            dropped(self.tenant_id, "orderBy", key, "invalid")
            return self
        self._order = key
        return self

    def restrict(self, ids: Iterable[int]) -> Self:
        """Only these publications (a manual shelf); base scope and options still apply."""
        self._only_ids = [int(i) for i in ids]
        return self

    def with_options(self, options: StorefrontOptions | Mapping | None) -> Self:
        if not isinstance(options, StorefrontOptions):
            options = merge_options(options)
        self._options = options
        return self

    # -- reading ------------------------------------------------------------------------
    @property
    def accepted(self) -> list[AcceptedFilter]:
        """The filter values that will apply (validated once, drops logged once)."""
        if self._accepted is None:
            self._accepted = validate_filters(
                self._specs,
                tenant_id=self.tenant_id,
                lookups=Lookups(self.session, self.tenant_id),
                gates=self.gates,
            )
        return self._accepted

    def _members(self) -> set[InventoryFilter]:
        return {item.member for item in self.accepted}

    def sign_in_needed(self) -> bool:
        return self.user_id is None and bool(self._members() & PERSONAL)

    def page(
        self, number: object = 1, per_page: object = DEFAULT_PER_PAGE, *, count: bool = True
    ) -> InventoryPage:
        """One page of cards; `count=False` skips counting every match (pages that show no
        total need only `has_more`, and the count costs as much as the page on a large
        catalogue)."""
        number, size = clean_page(number), clean_per_page(per_page)
        if self.sign_in_needed():
            return InventoryPage([], number, size, has_more=False, total=0, sign_in_needed=True)
        query, ordering = self._query()
        # Two steps: order and cut narrow rows (ids only), then load the page's publications.
        # Sorting thousands of matches with every column (descriptions included) costs more
        # than the second, primary-key query.
        ids_query = (
            query.with_only_columns(Publication.id)
            .order_by(*ordering)
            .limit(size + 1)
            .offset((number - 1) * size)
        )
        count_query = select(func.count()).select_from(
            query.with_only_columns(Publication.id).order_by(None).subquery()
        )
        with catalog_reads("inventory: a page of a tenant's catalogue"):
            total = (self.session.scalar(count_query) or 0) if count else None
            ids = list(self.session.scalars(ids_query))
            has_more = len(ids) > size
            rows = self._rows(ids[:size])
            cards = build_cards(self.session, self.tenant_id, rows, self._options, readable=set())
        if cards:
            readable = access.readable_ids(self.tenant_id, self.user_id, [c.id for c in cards])
            for card in cards:
                card.readable = card.id in readable
        return InventoryPage(cards, number, size, has_more=has_more, total=total)

    def _rows(self, ids: list[int]) -> list[tuple[Publication, CatalogEntry]]:
        """The page's publications with this tenant's entries, in the order of `ids`."""
        if not ids:
            return []
        query = (
            select(Publication, CatalogEntry)
            .join(CatalogEntry, CatalogEntry.publication_id == Publication.id)
            .where(CatalogEntry.tenant_id == self.tenant_id, Publication.id.in_(ids))
            .options(*card_loader_options(self._options))
        )
        found = {row[0].id: (row[0], row[1]) for row in self.session.execute(query).unique()}
        return [found[i] for i in ids if i in found]

    def ids(self, limit: int) -> list[int]:
        if self.sign_in_needed() or limit <= 0:
            return []
        query, ordering = self._query()
        query = query.with_only_columns(Publication.id).order_by(*ordering).limit(int(limit))
        with catalog_reads("inventory: ids of a tenant's catalogue"):
            return list(self.session.scalars(query))

    # -- the query ------------------------------------------------------------------------
    def _tzinfo(self) -> ZoneInfo:
        if self._timezone is None:
            tenant = current_tenant_or_none()
            if tenant is not None and tenant.id == self.tenant_id:
                self._timezone = tenant.timezone
            else:
                self._timezone = self.session.scalar(
                    select(Tenant.timezone).where(Tenant.id == self.tenant_id)
                )
        try:
            return ZoneInfo(self._timezone or "UTC")
        except (ValueError, KeyError):
            return ZoneInfo("UTC")

    def _query_context(self) -> filter_queries.QueryContext:
        members = self._members()
        needs_tz = bool(members & {InventoryFilter.YEAR, InventoryFilter.MONTH})
        return filter_queries.QueryContext(
            tenant_id=self.tenant_id,
            now=self.now,
            tzinfo=self._tzinfo() if needs_tz else ZoneInfo("UTC"),
            owned_ids=lambda: access.owned_ids(self.tenant_id, self.user_id),
            recommended_ids=lambda: recommended_ids(self.tenant_id, self.user_id, now=self.now),
        )

    def _query(self) -> tuple[Select, list]:
        """The filtered select(Publication, CatalogEntry) and its ORDER BY; every id set from
        another service is fetched here, before any catalog_reads block opens."""
        members = self._members()
        personal = bool(members & PERSONAL)
        query = visible_publications(self.tenant_id, live_only=not personal)
        if personal:
            # A reader's library keeps unpublished items but never unprocessed or deleted ones.
            query = query.where(Publication.status == "ready")
        query = query.where(
            *scope_options.conditions(
                self._options,
                tenant_id=self.tenant_id,
                user_id=self.user_id,
                now=self.now,
                personal=personal,
            )
        )
        query = query.where(*filter_queries.conditions(self.accepted, self._query_context()))
        if self._languages:
            query = query.where(Publication.language.in_(self._languages))
        if self._only_ids is not None:
            query = query.where(Publication.id.in_(self._only_ids))
        rank = None
        if self._q is not None:
            dialect = self.session.get_bind().dialect.name
            query, rank = apply_search(
                query, dialect, self._q, include_terms=self.gates.search_terms
            )
        return self._ordered(query, rank, latest=InventoryFilter.LATEST in members)

    def _ordered(self, query: Select, rank, *, latest: bool) -> tuple[Select, list]:
        newest = [Publication.published_at.desc().nulls_last(), Publication.id.desc()]
        key = self._order
        if key is None or (key == "relevance" and rank is None):
            if rank is not None:
                key = "relevance"
            elif latest or self._options.order_by_published_at:
                key = "published_at"
            else:
                key = "title"
        if key == "relevance":
            return query, [rank.desc(), *newest]
        if key == "title":
            return query, [func.lower(Publication.title), Publication.id]
        if key == "sales":
            query = query.outerjoin(
                PublicationStat,
                and_(
                    PublicationStat.tenant_id == self.tenant_id,
                    PublicationStat.publication_id == Publication.id,
                ),
            )
            return query, [func.coalesce(PublicationStat.sales_90d, 0).desc(), *newest]
        return query, newest
