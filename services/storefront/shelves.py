"""What a shelf is (the JSON-safe result) and where each display mode's shelves come from
(spec 70 §4.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Publication, Taxonomy, TaxonomyTerm
from app.models.storefront import StorefrontShelf, StorefrontShelfItem
from app.models.tenancy import Tenant
from services.catalog.scope import catalog_reads, visible_publications
from services.inventory.cards import PublicationCard

LIBRARY_PATH = "/library/filter"
PERSONAL_PARAMS = frozenset({"my_issues", "continue_reading"})
RECOMMENDED_TITLE = "Recommended for you"
LATEST_TITLE = "Latest"


@dataclass
class Shelf:
    """One row of the store page, as rendered and as cached."""

    title: str
    uuid: str | None
    kind: str  # term | filter | manual | collection | month | recommended | latest
    style: str
    see_all_url: str | None
    cards: list[PublicationCard] = field(default_factory=list)
    has_more: bool = False

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "uuid": self.uuid,
            "kind": self.kind,
            "style": self.style,
            "see_all_url": self.see_all_url,
            "cards": [card.to_dict() for card in self.cards],
            "has_more": self.has_more,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Shelf:
        cards = [PublicationCard.from_dict(card) for card in data["cards"]]
        return cls(**{**data, "cards": cards})


@dataclass
class ShelfPage:
    shelves: list[Shelf]
    has_more_shelves: bool
    page: int = 1

    def to_dict(self) -> dict:
        return {
            "shelves": [shelf.to_dict() for shelf in self.shelves],
            "has_more_shelves": self.has_more_shelves,
            "page": self.page,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ShelfPage:
        shelves = [Shelf.from_dict(shelf) for shelf in data["shelves"]]
        return cls(shelves, bool(data["has_more_shelves"]), int(data.get("page", 1)))


@dataclass(frozen=True)
class ShelfSource:
    """How to fill one shelf: a `/library/filter` query (pairs) or a hand-picked id list."""

    title: str
    kind: str
    style: str = "carousel"
    uuid: str | None = None
    max_items: int | None = None
    query: tuple[tuple[str, str], ...] = ()
    manual_ids: tuple[int, ...] | None = None
    see_all: bool = False

    @property
    def personal(self) -> bool:
        return any(name in PERSONAL_PARAMS for name, _ in self.query)

    @property
    def see_all_url(self) -> str | None:
        if not self.see_all:
            return None
        return f"{LIBRARY_PATH}?{urlencode(self.query)}" if self.query else LIBRARY_PATH


def custom_sources(tenant_id: int) -> list[ShelfSource]:
    """The tenant's enabled shelves by position, with term slugs and manual items loaded."""
    rows = db.session.execute(
        select(StorefrontShelf, TaxonomyTerm.slug, Taxonomy.slug)
        .outerjoin(TaxonomyTerm, TaxonomyTerm.id == StorefrontShelf.term_id)
        .outerjoin(Taxonomy, Taxonomy.id == TaxonomyTerm.taxonomy_id)
        .where(StorefrontShelf.tenant_id == tenant_id, StorefrontShelf.enabled.is_(True))
        .order_by(StorefrontShelf.position, StorefrontShelf.id)
    ).all()
    manual = _manual_items([shelf.id for shelf, _, _ in rows if shelf.kind == "manual"])
    sources = []
    for shelf, term_slug, taxonomy_slug in rows:
        common = dict(
            title=shelf.title,
            kind=shelf.kind,
            style=shelf.style,
            uuid=str(shelf.uuid),
            max_items=shelf.max_items,
        )
        if shelf.kind == "term" and term_slug and taxonomy_slug:
            sources.append(ShelfSource(**common, query=((taxonomy_slug, term_slug),), see_all=True))
        elif shelf.kind == "filter" and shelf.filter_query is not None:
            sources.append(ShelfSource(**common, query=_pairs(shelf.filter_query), see_all=True))
        elif shelf.kind == "manual":
            sources.append(ShelfSource(**common, manual_ids=tuple(manual.get(shelf.id, ()))))
    return sources


def _pairs(query_string: str) -> tuple[tuple[str, str], ...]:
    query_string = query_string.lstrip("?")
    # page/per_page of a stored query are the library's paging, not the shelf's size.
    return tuple(
        (name, value)
        for name, value in parse_qsl(query_string, keep_blank_values=False)
        if name not in ("page", "per_page")
    )


def _manual_items(shelf_ids: list[int]) -> dict[int, list[int]]:
    if not shelf_ids:
        return {}
    rows = db.session.execute(
        select(StorefrontShelfItem.shelf_id, StorefrontShelfItem.publication_id)
        .where(StorefrontShelfItem.shelf_id.in_(shelf_ids))
        .order_by(StorefrontShelfItem.shelf_id, StorefrontShelfItem.position)
    )
    items: dict[int, list[int]] = {}
    for shelf_id, publication_id in rows:
        items.setdefault(shelf_id, []).append(publication_id)
    return items


def collection_sources(tenant_id: int, entitled_term_ids: set[int]) -> list[ShelfSource]:
    """One shelf per term of the collection taxonomy, by position; restricted terms only for
    users entitled to them."""
    rows = db.session.execute(
        select(TaxonomyTerm.id, TaxonomyTerm.uuid, TaxonomyTerm.name, TaxonomyTerm.slug)
        .add_columns(TaxonomyTerm.restricted, Taxonomy.slug.label("taxonomy_slug"))
        .join(Taxonomy, Taxonomy.id == TaxonomyTerm.taxonomy_id)
        .where(Taxonomy.tenant_id == tenant_id, Taxonomy.is_collection.is_(True))
        .order_by(TaxonomyTerm.position, TaxonomyTerm.name)
    ).all()
    return [
        ShelfSource(
            title=row.name,
            kind="collection",
            uuid=str(row.uuid),
            query=((row.taxonomy_slug, row.slug),),
            see_all=True,
        )
        for row in rows
        if not row.restricted or row.id in entitled_term_ids
    ]


def month_sources(tenant_id: int, now: datetime, include_scheduled: bool) -> list[ShelfSource]:
    """One shelf per month (tenant timezone) holding a live publication, newest first."""
    tenant = db.session.get(Tenant, tenant_id)
    try:
        zone = ZoneInfo(tenant.timezone if tenant else "UTC")
    except (ValueError, KeyError):  # an unknown zone name: months in UTC rather than a 500
        zone = ZoneInfo("UTC")
    locale = (tenant.locale if tenant else "en").replace("-", "_")
    query = visible_publications(tenant_id).with_only_columns(Publication.published_at)
    if not include_scheduled:
        query = query.where(Publication.published_at <= now)
    with catalog_reads("storefront: publication months of a tenant's catalogue"):
        stamps = db.session.scalars(query.distinct()).all()
    months = sorted(
        {stamp.astimezone(zone).date().replace(day=1) for stamp in stamps}, reverse=True
    )
    return [
        ShelfSource(
            title=format_date(month, "LLLL yyyy", locale=locale),
            kind="month",
            query=(("month", month.strftime("%Y-%m")),),
            see_all=True,
        )
        for month in months
    ]


def recommended_source() -> ShelfSource:
    return ShelfSource(
        title=RECOMMENDED_TITLE,
        kind="recommended",
        query=(("recommended", "recommended"),),
        see_all=True,
    )


def latest_source() -> ShelfSource:
    """The shelf of a tenant without usable shelves: its newest publications."""
    return ShelfSource(title=LATEST_TITLE, kind="latest", style="grid", see_all=True)
