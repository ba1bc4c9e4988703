"""What a listing hands out: publication cards and pages of them, plain JSON-safe data built
with a fixed number of queries whatever the page size (spec 70 §3.5)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.models.catalog import Publication, PublicationPrice, PublicationTerm, TaxonomyTerm
from app.models.storefront import CatalogEntry
from services.inventory.options import StorefrontOptions

COVER_URL_SECONDS = 7 * 24 * 3600


@dataclass
class PublicationCard:
    """One publication as a listing shows it, in the current tenant's terms and prices."""

    id: int
    uuid: str
    title: str
    file_type: str
    language: str
    is_free: bool
    is_physical: bool
    published_at: datetime | None
    cover_url: str | None = None
    contributors: list[tuple[str, str]] = field(default_factory=list)
    description_html: str | None = None
    terms: list[str] = field(default_factory=list)
    bisacs: list[str] = field(default_factory=list)
    prices: list[tuple[str, int]] = field(default_factory=list)
    readable: bool = False
    source: str = "owned"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        data["contributors"] = [list(c) for c in self.contributors]
        data["prices"] = [list(p) for p in self.prices]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> PublicationCard:
        values = dict(data)
        published = values.get("published_at")
        values["published_at"] = datetime.fromisoformat(published) if published else None
        values["contributors"] = [tuple(c) for c in values.get("contributors") or []]
        values["prices"] = [tuple(p) for p in values.get("prices") or []]
        return cls(**values)


@dataclass
class InventoryPage:
    """A page of cards; `sign_in_needed` when a personal view was asked by a guest."""

    items: list[PublicationCard]
    page: int
    per_page: int
    has_more: bool
    total: int | None = None
    sign_in_needed: bool = False

    def to_dict(self) -> dict:
        data = asdict(self)
        data["items"] = [card.to_dict() for card in self.items]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> InventoryPage:
        values = dict(data)
        values["items"] = [PublicationCard.from_dict(item) for item in values.get("items", [])]
        return cls(**values)


def card_loader_options(options: StorefrontOptions) -> list:
    """Eager loads for select(Publication, ...): one extra query each, whatever the page size."""
    loads = [selectinload(Publication.contributor_links)]
    if options.eager_load_bisacs:
        loads.append(selectinload(Publication.bisac_links))
    return loads


def _cover_url(key: str | None) -> str | None:
    if not key:
        return None
    from services import storage  # the storage backend is chosen by configuration at run time

    return storage.get_storage().url(key, expires_in=COVER_URL_SECONDS)


def _prices(session, tenant_id: int, ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    rows = session.execute(
        select(
            PublicationPrice.publication_id,
            PublicationPrice.currency,
            PublicationPrice.amount_minor,
        )
        .where(PublicationPrice.tenant_id == tenant_id, PublicationPrice.publication_id.in_(ids))
        .order_by(PublicationPrice.currency)
    ).all()
    found: dict[int, list[tuple[str, int]]] = {}
    for publication_id, currency, amount in rows:
        found.setdefault(publication_id, []).append((currency, amount))
    return found


def _terms(session, tenant_id: int, ids: list[int]) -> dict[int, list[str]]:
    rows = session.execute(
        select(PublicationTerm.publication_id, TaxonomyTerm.name)
        .join(TaxonomyTerm, TaxonomyTerm.id == PublicationTerm.term_id)
        .where(PublicationTerm.tenant_id == tenant_id, PublicationTerm.publication_id.in_(ids))
        .order_by(TaxonomyTerm.position, TaxonomyTerm.name)
    ).all()
    found: dict[int, list[str]] = {}
    for publication_id, name in rows:
        found.setdefault(publication_id, []).append(name)
    return found


def build_cards(
    session,
    tenant_id: int,
    rows: list[tuple[Publication, CatalogEntry]],
    options: StorefrontOptions,
    readable: set[int],
) -> list[PublicationCard]:
    """Cards for rows loaded with card_loader_options(); call inside catalog_reads() because
    the eager loads and the price and term reads bind the tenant themselves."""
    if not rows:
        return []
    ids = [publication.id for publication, _ in rows]
    prices = _prices(session, tenant_id, ids)
    terms = _terms(session, tenant_id, ids) if options.eager_load_terms else {}
    cards = []
    for publication, entry in rows:
        cards.append(
            PublicationCard(
                id=publication.id,
                uuid=str(publication.uuid),
                title=publication.title,
                file_type=publication.file_type,
                language=publication.language,
                is_free=publication.is_free,
                is_physical=publication.is_physical,
                published_at=publication.published_at,
                cover_url=_cover_url(publication.cover_key),
                contributors=[
                    (link.contributor.name, link.role) for link in publication.contributor_links
                ],
                description_html=(
                    publication.description_html if options.eager_load_descriptions else None
                ),
                terms=terms.get(publication.id, []),
                bisacs=(
                    [b.code for b in publication.bisac_links] if options.eager_load_bisacs else []
                ),
                prices=prices.get(publication.id, []),
                readable=publication.id in readable,
                source=entry.source,
            )
        )
    return cards
