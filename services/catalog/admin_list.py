"""Control-panel reads of a tenant's catalogue: the publications table (owned, shared and
marketplace entries, enabled or not), one entry by uuid, currency exponents."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, or_, select

from app.extensions import db
from app.models.catalog import Publication, PublicationTerm
from app.models.storefront import CatalogEntry, PublicationShare
from app.models.tenancy import Tenant
from services.catalog.prices import prices_for
from services.catalog.scope import catalog_reads
from services.rows import LIKE_ESCAPE, Page, escape_like

PER_PAGE = 25
SOURCES = ("owned", "shared", "marketplace")
SORTS = {
    "newest": (CatalogEntry.added_at.desc(), CatalogEntry.id.desc()),
    "oldest": (CatalogEntry.added_at.asc(), CatalogEntry.id.asc()),
    "title": (func.lower(Publication.title).asc(), Publication.id.asc()),
    "published": (
        Publication.published_at.is_(None).asc(),
        Publication.published_at.desc(),
        Publication.id.desc(),
    ),
}


@dataclass
class AdminRow:
    """One line of the control panel's table; plain values, safe outside the read block."""

    id: int
    uuid: str
    title: str
    file_type: str
    language: str
    status: str
    source: str
    enabled: bool
    is_featured: bool
    is_free: bool
    published_at: datetime | None
    cover_key: str | None
    marketplace_listed: bool
    owner_name: str
    owner_slug: str
    prices: list[tuple[str, int]] = field(default_factory=list)

    @property
    def owned(self) -> bool:
        return self.source == "owned"


@dataclass(frozen=True)
class ListQuery:
    q: str = ""
    status: str = ""
    file_type: str = ""
    source: str = ""
    term_id: int | None = None
    sort: str = "newest"
    page: int = 1


def _conditions(tenant_id: int) -> list:
    """The tenant's entries as its admins see them: disabled entries and drafts included,
    revoked shares and deleted publications never (an unlisted marketplace item stays, marked)."""
    share_active = exists().where(
        PublicationShare.publication_id == CatalogEntry.publication_id,
        PublicationShare.target_tenant_id == tenant_id,
        PublicationShare.revoked_at.is_(None),
    )
    return [
        CatalogEntry.tenant_id == tenant_id,
        Publication.deleted_at.is_(None),
        or_(CatalogEntry.source != "shared", share_active),
    ]


def _base(tenant_id: int):
    return (
        select(Publication, CatalogEntry, Tenant.name, Tenant.slug)
        .join(CatalogEntry, CatalogEntry.publication_id == Publication.id)
        .join(Tenant, Tenant.id == Publication.tenant_id)
        .where(*_conditions(tenant_id))
    )


def _row(publication: Publication, entry: CatalogEntry, name: str, slug: str) -> AdminRow:
    return AdminRow(
        id=publication.id,
        uuid=str(publication.uuid),
        title=publication.title,
        file_type=publication.file_type,
        language=publication.language,
        status=publication.status,
        source=entry.source,
        enabled=entry.enabled,
        is_featured=entry.is_featured,
        is_free=publication.is_free,
        published_at=publication.published_at,
        cover_key=publication.cover_key,
        marketplace_listed=publication.marketplace_listed,
        owner_name=name,
        owner_slug=slug,
    )


def _filtered(tenant_id: int, query: ListQuery):
    stmt = _base(tenant_id)
    text = query.q.strip()
    if text:
        stmt = stmt.where(Publication.title.ilike(f"%{escape_like(text)}%", escape=LIKE_ESCAPE))
    if query.status:
        stmt = stmt.where(Publication.status == query.status)
    if query.file_type:
        stmt = stmt.where(Publication.file_type == query.file_type)
    if query.source:
        stmt = stmt.where(CatalogEntry.source == query.source)
    if query.term_id is not None:
        tagged = exists().where(
            PublicationTerm.tenant_id == tenant_id,
            PublicationTerm.publication_id == Publication.id,
            PublicationTerm.term_id == query.term_id,
        )
        stmt = stmt.where(tagged)
    return stmt


def list_catalog(tenant_id: int, query: ListQuery) -> Page:
    """One page (25 rows) of the tenant's catalogue with its own prices on each row."""
    stmt = _filtered(tenant_id, query)
    order = SORTS.get(query.sort, SORTS["newest"])
    with catalog_reads("catalog: the control panel's publications table"):
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        pages = max(1, -(-(total or 0) // PER_PAGE))
        page = min(max(1, query.page), pages)
        result = db.session.execute(
            stmt.order_by(*order).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
        )
        rows = [_row(*line) for line in result.all()]
    prices = prices_for(tenant_id, [row.id for row in rows])
    for row in rows:
        row.prices = prices.get(row.id, [])
    return Page(rows, page, pages, total or 0)


def catalog_item(tenant_id: int, key: str | uuid_lib.UUID) -> AdminRow | None:
    """The tenant's entry for one publication by uuid (any source, enabled or not), or None."""
    try:
        value = key if isinstance(key, uuid_lib.UUID) else uuid_lib.UUID(str(key))
    except ValueError:
        return None
    stmt = _base(tenant_id).where(Publication.uuid == value)
    with catalog_reads("catalog: one entry of the control panel"):
        line = db.session.execute(stmt).first()
        return None if line is None else _row(*line)


def currency_exponents(codes: list[str]) -> dict[str, int]:
    """Minor-unit exponents of the registry for these codes, in the order given."""
    from app.models.gateways import Currency

    if not codes:
        return {}
    query = select(Currency.code, Currency.exponent).where(Currency.code.in_(codes))
    found = {code: exponent for code, exponent in db.session.execute(query)}
    return {code: found[code] for code in codes if code in found}


def catalog_choices(tenant_id: int, limit: int = 500) -> list[tuple[int, str]]:
    """(id, title) of the tenant's catalogue, newest first, for pickers (manual shelves)."""
    query = (
        select(Publication.id, Publication.title)
        .join(CatalogEntry, CatalogEntry.publication_id == Publication.id)
        .where(*_conditions(tenant_id))
        .order_by(CatalogEntry.added_at.desc(), CatalogEntry.id.desc())
        .limit(limit)
    )
    with catalog_reads("catalog: the control panel's publication picker"):
        return [(row.id, row.title) for row in db.session.execute(query)]
