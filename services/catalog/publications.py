"""Publication writes of the owning tenant: create under the `issues_limit` quota with the owned
catalogue entry, update with validated fields, soft delete (spec 70 §1.1, §1.3). Every change
bumps the catalogue version of each tenant holding the publication and re-indexes it."""

from __future__ import annotations

import uuid as uuid_lib
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, inspect, select

from app.extensions import db
from app.models.base import utcnow
from app.models.catalog import Publication, PublicationPrice
from app.models.storefront import CatalogEntry
from services import activity, features
from services.activity import Actor
from services.catalog import access, fields, shares, versions
from services.catalog.entries import reindex_after_commit
from services.dispatch import enqueue_after_commit
from services.errors import InvalidState, NotFound
from services.features import quotas
from services.tenancy.scoping import SKIP_OPTION

if TYPE_CHECKING:
    from services.uploads import StoredSource

ISSUES_LIMIT = "issues_limit"
AUDITED = (*fields.EDITABLE, "file_type", "source_filename")


def count_owned(tenant_id: int) -> int:
    """The usage of `issues_limit`: owned, not deleted publications, drafts included. Names
    its tenant and skips the automatic scope, so the platform's quota pages can ask too."""
    query = (
        select(func.count(Publication.id))
        .where(Publication.tenant_id == tenant_id, Publication.deleted_at.is_(None))
        .execution_options(**{SKIP_OPTION: True})
    )
    return int(db.session.scalar(query) or 0)


features.register_usage(ISSUES_LIMIT, count_owned)


def check_quota(tenant_id: int) -> int:
    """Lock the tenant and refuse (QuotaExceeded on field `file`) when one more publication
    is not allowed; the lock lasts until the transaction ends, so call it before storing."""
    return quotas.enforce(tenant_id, ISSUES_LIMIT, field="file")


def owned_publication(tenant_id: int, key) -> Publication:
    """An owned, not deleted publication by uuid (or id); NotFound otherwise, also for shared
    and marketplace items (owner-only routes answer 404 for them)."""
    query = select(Publication).where(
        Publication.tenant_id == tenant_id, Publication.deleted_at.is_(None)
    )
    if isinstance(key, int) and not isinstance(key, bool):
        query = query.where(Publication.id == key)
    else:
        try:
            value = key if isinstance(key, uuid_lib.UUID) else uuid_lib.UUID(str(key))
        except ValueError:
            raise NotFound("No such publication.") from None
        query = query.where(Publication.uuid == value)
    publication = db.session.scalar(query)
    if publication is None:
        raise NotFound("No such publication.")
    return publication


def same_file(tenant_id: int, sha256: str, exclude_id: int | None = None) -> list[Publication]:
    """Owned publications with this source checksum (the upload page warns, never refuses)."""
    query = select(Publication).where(
        Publication.tenant_id == tenant_id,
        Publication.deleted_at.is_(None),
        Publication.source_sha256 == sha256,
    )
    if exclude_id is not None:
        query = query.where(Publication.id != exclude_id)
    return list(db.session.scalars(query.order_by(Publication.id)))


def _snapshot(publication: Publication) -> dict:
    return {name: getattr(publication, name) for name in AUDITED}


def after_change(publication: Publication, tenant_id: int) -> Publication:
    """After-commit work of any change: every holder's catalogue version and the search
    index. Reading the holders flushes and detaches the session's objects (a platform scope):
    the publication comes back attached, its credits and codes reloaded on next access."""
    publication_id = publication.id
    versions.bump_holders_after_commit(publication_id, tenant_id)
    if inspect(publication).detached:
        db.session.add(publication)
    db.session.expire(publication, ["contributor_links", "bisac_links"])
    reindex_after_commit(publication_id, tenant_id)
    return publication


def create_publication(
    actor: Actor,
    tenant_id: int,
    *,
    title: str,
    file_type: str,
    language: str,
    created_by_user_id: int | None = None,
    source: StoredSource | None = None,
    publication_uuid: uuid_lib.UUID | None = None,
    **extra,
) -> Publication:
    """A new owned publication (`uploaded`) and its `owned` entry in this transaction, under
    the `issues_limit` quota (QuotaExceeded on field `file`). Validation runs first, so a
    refused create changes nothing."""
    values = fields.clean({"title": title, "language": language, **extra})
    values["file_type"] = fields.file_type(file_type)
    check_quota(tenant_id)
    publication = Publication(
        tenant_id=tenant_id,
        created_by_user_id=created_by_user_id,
        status=values.pop("status", "uploaded"),
        **values,
    )
    if publication_uuid is not None:
        publication.uuid = publication_uuid
    if source is not None:
        publication.source_key = source.key
        publication.source_filename = source.filename
        publication.source_size_bytes = source.size
        publication.source_sha256 = source.sha256
    db.session.add(publication)
    db.session.flush()
    db.session.add(CatalogEntry(tenant_id=tenant_id, publication_id=publication.id, source="owned"))
    db.session.flush()
    activity.record(
        actor,
        "publication.create",
        "publication",
        publication.uuid,
        tenant_id=tenant_id,
        after={k: v for k, v in _snapshot(publication).items() if v is not None},
    )
    versions.bump_catalog_after_commit(tenant_id)  # a new publication has no other holder
    reindex_after_commit(publication.id, tenant_id)
    return publication


def update_publication(
    actor: Actor, tenant_id: int, publication: Publication, **changes
) -> Publication:
    """Apply validated `changes` (names of fields.EDITABLE) to an owned publication. Making
    it free removes the owner's prices (a free publication has none)."""
    if publication.tenant_id != tenant_id or publication.deleted_at is not None:
        raise NotFound("No such publication.")
    values = fields.clean(changes)
    before = _snapshot(publication)
    for name, value in values.items():
        setattr(publication, name, value)
    old, new = activity.diff(before, _snapshot(publication))
    if not new:
        return publication
    if new.get("is_free"):
        db.session.execute(
            delete(PublicationPrice)
            .where(
                PublicationPrice.tenant_id == tenant_id,
                PublicationPrice.publication_id == publication.id,
            )
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    activity.record(
        actor,
        "publication.update",
        "publication",
        publication.uuid,
        tenant_id=tenant_id,
        before=old,
        after=new,
    )
    return after_change(publication, tenant_id)


def delete_publication(actor: Actor, tenant_id: int, publication: Publication) -> None:
    """Soft delete: refused (InvalidState) while any tenant's line grants the publication
    directly (unpublish it instead); every catalogue entry and share goes, and every tenant
    that held it gets a fresh catalogue version; its stored files are deleted after commit."""
    if publication.tenant_id != tenant_id or publication.deleted_at is not None:
        raise NotFound("No such publication.")
    if access.granted_anywhere(publication.id):
        raise InvalidState(
            "Readers have access to this publication; unpublish it instead of deleting it."
        )
    publication.deleted_at = utcnow()
    publication_id, publication_uuid = publication.id, publication.uuid
    db.session.flush()
    holders = shares.remove_everywhere(publication_id)
    activity.record(
        actor,
        "publication.delete",
        "publication",
        publication_uuid,
        tenant_id=tenant_id,
        before={"deleted_at": None},
        after={"deleted_at": publication.deleted_at},
    )
    versions.bump_catalog_after_commit(tenant_id, *holders)
    reindex_after_commit(publication_id, tenant_id)
    enqueue_after_commit("catalog.delete_files", publication_id=publication_id, tenant_id=tenant_id)
