"""Stored files of a deleted publication: everything under its storage prefix goes (spec 70 §1.3
"enqueues file deletion"); running it again finds nothing left to delete."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Publication
from services.storage import get_storage
from services.storage.keys import publication_prefix
from services.tenancy.context import current_tenant


def delete_files(publication_id: int) -> int:
    """Delete the stored files of a soft-deleted publication of the current tenant; returns how
    many went. A publication that is not deleted keeps its files (the task re-checks state)."""
    publication_uuid = db.session.scalar(
        select(Publication.uuid).where(
            Publication.id == publication_id, Publication.deleted_at.is_not(None)
        )
    )
    if publication_uuid is None:
        return 0
    prefix = publication_prefix(current_tenant().uuid, publication_uuid)
    return get_storage().delete_prefix(prefix)
