"""The platform marketplace: other tenants' listed, ready, live publications that a tenant adds
to or removes from its catalogue (spec 70 §1.3). Unlisting hides an item everywhere at once
because the catalogue scope checks the flag; the entries stay for a relisting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from app.extensions import db
from app.models.base import utcnow
from app.models.catalog import Publication
from app.models.storefront import CatalogEntry
from app.models.tenancy import Tenant
from services import activity
from services.activity import Actor
from services.catalog import versions
from services.catalog.entries import as_uuid, reindex_after_commit, remove_entries
from services.catalog.scope import catalog_reads
from services.errors import Conflict, NotFound
from services.rows import LIKE_ESCAPE, Page, escape_like, paginate


def _listed(tenant_id: int, now: datetime) -> list:
    """Marketplace conditions: listed, ready, live, not deleted, owned by another tenant."""
    return [
        Publication.marketplace_listed.is_(True),
        Publication.status == "ready",
        Publication.published_at.is_not(None),
        Publication.published_at <= now,
        Publication.deleted_at.is_(None),
        Publication.tenant_id != tenant_id,
    ]


def add_from_marketplace(actor: Actor, tenant_id: int, publication_uuid) -> CatalogEntry:
    key = as_uuid(publication_uuid)
    with catalog_reads("catalog: a marketplace publication of another tenant"):
        found = db.session.execute(
            select(Publication.id, Publication.title).where(
                Publication.uuid == key, *_listed(tenant_id, utcnow())
            )
        ).first()
    if found is None:
        raise NotFound("No such publication in the marketplace.")
    existing = db.session.scalar(
        select(CatalogEntry.id).where(
            CatalogEntry.tenant_id == tenant_id, CatalogEntry.publication_id == found.id
        )
    )
    if existing is not None:
        raise Conflict("It is already in your catalogue.")
    entry = CatalogEntry(tenant_id=tenant_id, publication_id=found.id, source="marketplace")
    db.session.add(entry)
    db.session.flush()
    activity.record(
        actor,
        "catalog.marketplace_add",
        "publication",
        key,
        tenant_id=tenant_id,
        after={"title": found.title},
    )
    versions.bump_catalog_after_commit(tenant_id)
    reindex_after_commit(found.id, tenant_id)
    return entry


def remove_from_marketplace(actor: Actor, tenant_id: int, publication_uuid) -> None:
    key = as_uuid(publication_uuid)
    with catalog_reads("catalog: the publication of a tenant's marketplace entry"):
        publication_id = db.session.scalar(
            select(Publication.id)
            .join(CatalogEntry, CatalogEntry.publication_id == Publication.id)
            .where(
                Publication.uuid == key,
                CatalogEntry.tenant_id == tenant_id,
                CatalogEntry.source == "marketplace",
            )
        )
    if publication_id is None:
        raise NotFound("No such publication in your catalogue.")
    remove_entries(
        CatalogEntry.tenant_id == tenant_id,
        CatalogEntry.publication_id == publication_id,
        CatalogEntry.source == "marketplace",
    )
    activity.record(actor, "catalog.marketplace_remove", "publication", key, tenant_id=tenant_id)
    versions.bump_catalog_after_commit(tenant_id)
    reindex_after_commit(publication_id, tenant_id)


@dataclass(frozen=True)
class MarketplaceItem:
    uuid: str
    title: str
    file_type: str
    language: str
    published_at: datetime | None
    owner_name: str
    cover_key: str | None
    in_catalog: bool


def marketplace_listing(tenant_id: int, q: str = "", page: int = 1) -> Page:
    """Marketplace publications of other tenants (title or owner matching `q`), 50 a page,
    each saying whether this tenant already added it."""
    mine = (
        select(CatalogEntry.id)
        .where(CatalogEntry.tenant_id == tenant_id, CatalogEntry.publication_id == Publication.id)
        .exists()
    )
    query = (
        select(
            Publication.uuid,
            Publication.title,
            Publication.file_type,
            Publication.language,
            Publication.published_at,
            Tenant.name,
            Publication.cover_key,
            mine,
        )
        .join(Tenant, Tenant.id == Publication.tenant_id)
        .where(*_listed(tenant_id, utcnow()))
    )
    words = (q or "").strip()[:100]
    if words:
        pattern = f"%{escape_like(words.lower())}%"
        query = query.where(
            or_(
                func.lower(Publication.title).like(pattern, escape=LIKE_ESCAPE),
                func.lower(Tenant.name).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    with catalog_reads("catalog: the marketplace listing"):
        result = paginate(
            query, [Publication.published_at.desc(), Publication.id.desc()], page, scalars=False
        )
    result.rows = [
        MarketplaceItem(str(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))
        for r in result.rows
    ]
    return result
