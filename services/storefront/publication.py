"""What the publication page shows: the publication in the current tenant's catalogue with its
credits, own terms, BISAC headings, prices and the reader's access (spec 70 §5.3)."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.catalog import (
    BisacSubject,
    Publication,
    PublicationPrice,
    PublicationTerm,
    Taxonomy,
    TaxonomyTerm,
)
from services.catalog import access
from services.catalog.scope import catalog_reads, visible_publications
from services.currencies import tenant_currencies
from services.inventory.cards import COVER_URL_SECONDS

LIBRARY_PATH = "/library/filter"


@dataclass(frozen=True)
class Credit:
    name: str
    role: str
    url: str  # the library filtered by this contributor


@dataclass(frozen=True)
class TermLink:
    taxonomy: str
    name: str
    url: str


@dataclass
class PublicationDetail:
    id: int
    uuid: str
    owner_tenant_id: int
    title: str
    file_type: str
    language: str
    audience: str | None
    description_html: str | None
    published_at: datetime | None
    page_count: int | None
    duration_seconds: int | None
    is_free: bool
    is_physical: bool
    cover_url: str | None
    status: str
    credits: list[Credit] = field(default_factory=list)
    bisacs: list[tuple[str, str | None]] = field(default_factory=list)
    terms: list[TermLink] = field(default_factory=list)
    prices: list[tuple[str, int]] = field(default_factory=list)
    readable: bool = False
    plans: list = field(default_factory=list)
    preview: str | None = None  # "Draft" / "Scheduled" / "Not ready": only admins see it


def covering_plans(tenant_id: int, publication_id: int) -> list:
    """Public plans whose access covers the publication, each a Subscribe button. Plans arrive
    with the commerce area; until then no plan covers anything."""
    return []


def preview_state(publication: Publication, now: datetime) -> str | None:
    """Why readers may not open the page, or None when it is live."""
    if publication.published_at is None:
        return "Draft"
    if publication.published_at > now:
        return "Scheduled"
    if publication.status != "ready":
        return "Not ready"
    return None


def publication_page(
    tenant_id: int,
    key: str | uuid_lib.UUID,
    *,
    user_id: int | None,
    can_preview: bool = False,
    now: datetime | None = None,
) -> PublicationDetail | None:
    """The page's data, or None when readers may not see it (missing, deleted, disabled, not
    live). `can_preview` (an admin of the tenant) opens the tenant's own unpublished items."""
    now = now or datetime.now(UTC)
    try:
        value = key if isinstance(key, uuid_lib.UUID) else uuid_lib.UUID(str(key))
    except ValueError:
        return None
    query = (
        visible_publications(tenant_id, live_only=False)
        .where(Publication.uuid == value)
        .options(selectinload(Publication.contributor_links), selectinload(Publication.bisac_links))
    )
    with catalog_reads("storefront: the publication page"):
        row = db.session.execute(query).first()
        detail = None if row is None else _detail(row[0])
    if detail is None:
        return None
    detail.preview = preview_state(row[0], now)
    if detail.preview and not (can_preview and detail.owner_tenant_id == tenant_id):
        return None
    detail.terms = _terms(tenant_id, detail.id)
    detail.bisacs = _headings([code for code, _ in detail.bisacs])
    detail.prices = [] if detail.is_free else _prices(tenant_id, detail.id)
    detail.readable = (
        user_id is not None and access.read_access(tenant_id, user_id, row[0]) is not None
    )
    detail.plans = covering_plans(tenant_id, detail.id)
    return detail


def _detail(publication: Publication) -> PublicationDetail:
    """Copy what the page needs while the eager loads are still attached."""
    return PublicationDetail(
        id=publication.id,
        uuid=str(publication.uuid),
        owner_tenant_id=publication.tenant_id,
        title=publication.title,
        file_type=publication.file_type,
        language=publication.language,
        audience=publication.audience,
        description_html=publication.description_html,
        published_at=publication.published_at,
        page_count=publication.page_count,
        duration_seconds=publication.duration_seconds,
        is_free=publication.is_free,
        is_physical=publication.is_physical,
        cover_url=_cover_url(publication.cover_key),
        status=publication.status,
        credits=[
            Credit(
                link.contributor.name,
                link.role,
                f"{LIBRARY_PATH}?{urlencode({'contributor': str(link.contributor.uuid)})}",
            )
            for link in publication.contributor_links
        ],
        bisacs=[(link.code, None) for link in publication.bisac_links],
    )


def _cover_url(key: str | None) -> str | None:
    if not key:
        return None
    from services import storage  # the backend is chosen by configuration at run time

    return storage.get_storage().url(key, expires_in=COVER_URL_SECONDS)


def _terms(tenant_id: int, publication_id: int) -> list[TermLink]:
    """The tenant's own terms on the publication, each linking to its library filter."""
    rows = db.session.execute(
        select(Taxonomy.name, Taxonomy.slug, TaxonomyTerm.name, TaxonomyTerm.slug)
        .select_from(PublicationTerm)
        .join(TaxonomyTerm, TaxonomyTerm.id == PublicationTerm.term_id)
        .join(Taxonomy, Taxonomy.id == TaxonomyTerm.taxonomy_id)
        .where(
            PublicationTerm.tenant_id == tenant_id, PublicationTerm.publication_id == publication_id
        )
        .order_by(Taxonomy.position, Taxonomy.name, TaxonomyTerm.position, TaxonomyTerm.name)
    ).all()
    return [
        TermLink(taxonomy, name, f"{LIBRARY_PATH}?{urlencode({taxonomy_slug: term_slug})}")
        for taxonomy, taxonomy_slug, name, term_slug in rows
    ]


def _headings(codes: list[str]) -> list[tuple[str, str | None]]:
    if not codes:
        return []
    found = dict(
        db.session.execute(
            select(BisacSubject.code, BisacSubject.heading).where(BisacSubject.code.in_(codes))
        ).all()
    )
    return [(code, found.get(code)) for code in codes]


def _prices(tenant_id: int, publication_id: int) -> list[tuple[str, int]]:
    """The tenant's own prices, in the currencies it sells in, in that order."""
    sold = tenant_currencies(tenant_id)
    rows = dict(
        db.session.execute(
            select(PublicationPrice.currency, PublicationPrice.amount_minor).where(
                PublicationPrice.tenant_id == tenant_id,
                PublicationPrice.publication_id == publication_id,
            )
        ).all()
    )
    return [(code, rows[code]) for code in sold if code in rows]
