"""A tenant's catalogue entries: removing them (the re-index enqueued after it drops their
search rows) and the entry flags a tenant sets on any item of its catalogue (spec 70 §1.3)."""

from __future__ import annotations

import uuid as uuid_lib

from sqlalchemy import and_, delete, select

from app.extensions import db
from app.models.storefront import CatalogEntry
from services import activity
from services.activity import Actor
from services.catalog import versions
from services.dispatch import enqueue_after_commit
from services.errors import NotFound


def reindex_after_commit(publication_id: int, tenant_id: int) -> None:
    """Re-index the publication for every holder once this transaction commits."""
    enqueue_after_commit(
        "catalog.reindex_publication", publication_id=publication_id, tenant_id=tenant_id
    )


def as_uuid(value) -> uuid_lib.UUID:
    try:
        return value if isinstance(value, uuid_lib.UUID) else uuid_lib.UUID(str(value))
    except ValueError:
        raise NotFound("No such publication.") from None


def remove_entries(*conditions) -> list[int]:
    """Delete the entries matching `conditions`; returns the tenants that held them."""
    rows = db.session.execute(select(CatalogEntry.id, CatalogEntry.tenant_id).where(*conditions))
    rows = rows.all()
    if rows:
        db.session.execute(
            delete(CatalogEntry)
            .where(CatalogEntry.id.in_([r.id for r in rows]))
            .execution_options(synchronize_session=False)
        )
    return sorted({r.tenant_id for r in rows})


# -- a tenant's own entry ----------------------------------------------------------------------


def set_entry_flags(
    actor: Actor,
    tenant_id: int,
    publication_id: int,
    *,
    enabled: bool | None = None,
    is_featured: bool | None = None,
) -> CatalogEntry:
    """Enable or disable, feature or unfeature the tenant's own entry (any source)."""
    entry = db.session.scalar(
        select(CatalogEntry).where(
            and_(CatalogEntry.tenant_id == tenant_id, CatalogEntry.publication_id == publication_id)
        )
    )
    if entry is None:
        raise NotFound("No such publication in your catalogue.")
    before = {"enabled": entry.enabled, "is_featured": entry.is_featured}
    if enabled is not None:
        entry.enabled = bool(enabled)
    if is_featured is not None:
        entry.is_featured = bool(is_featured)
    after = {"enabled": entry.enabled, "is_featured": entry.is_featured}
    if before != after:
        old, new = activity.diff(before, after)
        activity.record(
            actor,
            "catalog.entry_update",
            "publication",
            publication_id,
            tenant_id=tenant_id,
            before=old,
            after=new,
        )
        db.session.flush()
        versions.bump_catalog_after_commit(tenant_id)
    return entry
