"""The one read of publications across tenants: a tenant's catalogue is its entries joined to
the publications, whoever owns them (spec 70 §1.3). Every module that lists or opens a shared or
marketplace publication goes through here; no other module opens platform_scope for them."""

from __future__ import annotations

import uuid as uuid_lib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Select, and_, exists, or_, select

from app.extensions import db
from app.models.catalog import Publication
from app.models.storefront import CatalogEntry, PublicationShare
from services.tenancy.context import platform_scope


@contextmanager
def catalog_reads(reason: str = "catalog: a tenant's catalogue") -> Iterator[None]:
    """Run the block's catalogue reads with tenant filters off; every query in it must bind
    the tenant itself (visible_publications does)."""
    with platform_scope(reason):
        yield


def entry_conditions(tenant_id: int, *, live_only: bool = True) -> list:
    """The base scope of spec 70 §3.3 for `tenant_id`'s entries joined to publications."""
    share_active = exists().where(
        PublicationShare.publication_id == CatalogEntry.publication_id,
        PublicationShare.target_tenant_id == tenant_id,
        PublicationShare.revoked_at.is_(None),
    )
    conditions = [
        CatalogEntry.tenant_id == tenant_id,
        CatalogEntry.enabled.is_(True),
        Publication.deleted_at.is_(None),
        or_(
            CatalogEntry.source == "owned",
            and_(CatalogEntry.source == "shared", share_active),
            and_(CatalogEntry.source == "marketplace", Publication.marketplace_listed.is_(True)),
        ),
    ]
    if live_only:
        conditions += [Publication.status == "ready", Publication.published_at.is_not(None)]
    return conditions


def visible_publications(
    tenant_id: int, ids: Iterable[int] | None = None, *, live_only: bool = True
) -> Select:
    """select(Publication, CatalogEntry) of the tenant's visible catalogue; execute it inside
    catalog_reads(). `live_only=False` keeps unpublished and unprocessed items (a reader's
    library keeps unpublished ones; deleted ones never show)."""
    query = (
        select(Publication, CatalogEntry)
        .join(CatalogEntry, CatalogEntry.publication_id == Publication.id)
        .where(*entry_conditions(tenant_id, live_only=live_only))
    )
    if ids is not None:
        query = query.where(Publication.id.in_(list(ids)))
    return query


def visible_publication(
    tenant_id: int, key: int | str | uuid_lib.UUID, *, live_only: bool = True
) -> tuple[Publication, CatalogEntry] | None:
    """One publication of the tenant's catalogue by id or uuid, with its entry; None when it is
    not in the catalogue (or not live, with live_only)."""
    query = visible_publications(tenant_id, live_only=live_only)
    if isinstance(key, int):
        query = query.where(Publication.id == key)
    else:
        try:
            value = key if isinstance(key, uuid_lib.UUID) else uuid_lib.UUID(str(key))
        except ValueError:
            return None
        query = query.where(Publication.uuid == value)
    with catalog_reads("catalog: one publication of a tenant's catalogue"):
        row = db.session.execute(query).first()
    return None if row is None else (row[0], row[1])
