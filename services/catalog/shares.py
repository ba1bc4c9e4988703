"""Shares: an owner lends a publication to another tenant's catalogue by that tenant's slug
(spec 70 §1.3). The writes that touch another tenant's rows (its entry, its admins'
notifications, every entry of a deleted publication) live here, each in a named platform
scope. The marketplace and entry flags are re-exported from their own modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from app.extensions import db
from app.models.base import utcnow
from app.models.catalog import Publication
from app.models.storefront import CatalogEntry, PublicationShare
from app.models.tenancy import Tenant
from services import activity, notifications
from services.activity import Actor
from services.catalog import versions
from services.catalog.entries import (
    as_uuid,
    reindex_after_commit,
    remove_entries,
    set_entry_flags,
)
from services.catalog.marketplace import (
    add_from_marketplace,
    marketplace_listing,
    remove_from_marketplace,
)
from services.errors import NotFound, ValidationError
from services.tenancy.context import platform_scope


def share(actor: Actor, tenant_id: int, publication: Publication, target_slug: str):
    """Share an owned publication with the tenant of `target_slug`: the share, the target's
    `shared` entry and a notification to the target's admins, in this transaction."""
    if publication.tenant_id != tenant_id or publication.deleted_at is not None:
        raise NotFound("No such publication.")
    slug = (target_slug or "").strip().lower()
    target = db.session.scalar(select(Tenant).where(Tenant.slug == slug)) if slug else None
    if target is None:
        raise ValidationError("There is no store with that address name.", field="slug")
    if target.id == tenant_id:
        raise ValidationError("This publication is already in your catalogue.", field="slug")
    active = db.session.scalar(
        select(PublicationShare.id).where(
            PublicationShare.publication_id == publication.id,
            PublicationShare.target_tenant_id == target.id,
            PublicationShare.revoked_at.is_(None),
        )
    )
    if active is not None:
        raise ValidationError("It is already shared with that store.", field="slug")
    row = PublicationShare(
        tenant_id=tenant_id,
        publication_id=publication.id,
        target_tenant_id=target.id,
        created_by_user_id=actor.user_id,
    )
    db.session.add(row)
    db.session.flush()
    publication_id, title, target_id = publication.id, publication.title, target.id
    activity.record(
        actor,
        "publication.share",
        "publication",
        publication.uuid,
        tenant_id=tenant_id,
        after={"target": target.slug, "share": str(row.uuid)},
    )
    with platform_scope("catalog: a share writes the target tenant's entry and notifications"):
        entry = db.session.scalar(
            select(CatalogEntry).where(
                CatalogEntry.tenant_id == target_id, CatalogEntry.publication_id == publication_id
            )
        )
        if entry is None:
            db.session.add(
                CatalogEntry(tenant_id=target_id, publication_id=publication_id, source="shared")
            )
        else:  # it was added from the marketplace: the share now keeps it
            entry.source, entry.enabled = "shared", True
        notifications.notify_admins(
            target_id,
            "publication_shared",
            f"A publication was shared with you: {title}"[:200],
            link="/dashboard/publications",
        )
    versions.bump_catalog_after_commit(tenant_id, target_id)
    reindex_after_commit(publication_id, tenant_id)
    return row


def revoke(actor: Actor, tenant_id: int, share_uuid) -> None:
    """End a share: revoked_at is set and the target's entry goes at once."""
    row = db.session.scalar(
        select(PublicationShare).where(
            PublicationShare.uuid == as_uuid(share_uuid),
            PublicationShare.tenant_id == tenant_id,
            PublicationShare.revoked_at.is_(None),
        )
    )
    if row is None:
        raise NotFound("No such share.")
    row.revoked_at = utcnow()
    publication_id, target_id = row.publication_id, row.target_tenant_id
    activity.record(
        actor,
        "publication.unshare",
        "publication_share",
        row.uuid,
        tenant_id=tenant_id,
        before={"revoked_at": None},
        after={"revoked_at": row.revoked_at},
    )
    with platform_scope("catalog: revoking a share removes the target tenant's entry"):
        remove_entries(
            CatalogEntry.tenant_id == target_id,
            CatalogEntry.publication_id == publication_id,
            CatalogEntry.source == "shared",
        )
    versions.bump_catalog_after_commit(tenant_id, target_id)
    reindex_after_commit(publication_id, tenant_id)


@dataclass(frozen=True)
class ShareRow:
    uuid: str
    target_slug: str
    target_name: str
    created_at: datetime


def shares_of(tenant_id: int, publication_id: int) -> list[ShareRow]:
    """The active shares of an owned publication, with the targets' names."""
    query = (
        select(PublicationShare.uuid, Tenant.slug, Tenant.name, PublicationShare.created_at)
        .join(Tenant, Tenant.id == PublicationShare.target_tenant_id)
        .where(
            PublicationShare.tenant_id == tenant_id,
            PublicationShare.publication_id == publication_id,
            PublicationShare.revoked_at.is_(None),
        )
        .order_by(PublicationShare.created_at)
    )
    return [ShareRow(str(u), s, n, c) for u, s, n, c in db.session.execute(query)]


def remove_everywhere(publication_id: int) -> list[int]:
    """On deletion: every tenant's entry and every share of the publication go; returns the
    tenants that held it."""
    with platform_scope("catalog: a deleted publication leaves every tenant's catalogue"):
        holders = remove_entries(CatalogEntry.publication_id == publication_id)
        db.session.execute(
            delete(PublicationShare)
            .where(PublicationShare.publication_id == publication_id)
            .execution_options(synchronize_session=False)
        )
    return holders


# The marketplace and entry flags live beside this module; callers reach them here too.
__all__ = [
    "ShareRow",
    "add_from_marketplace",
    "marketplace_listing",
    "remove_everywhere",
    "remove_from_marketplace",
    "revoke",
    "set_entry_flags",
    "share",
    "shares_of",
]
