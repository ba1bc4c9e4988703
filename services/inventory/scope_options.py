"""The option part of the base scope (spec 70 §3.3, §4.2): scheduled, physical, free and adult
items, readable-only listings and restricted collections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, false, or_, select

from app.extensions import db
from app.models.catalog import Publication, PublicationTerm, Taxonomy, TaxonomyTerm
from services.catalog import access
from services.inventory.options import StorefrontOptions


def _collection_terms(tenant_id: int) -> list[tuple[int, bool]]:
    """(id, restricted) of the tenant's collection terms."""
    query = (
        select(TaxonomyTerm.id, TaxonomyTerm.restricted)
        .join(Taxonomy, Taxonomy.id == TaxonomyTerm.taxonomy_id)
        .where(Taxonomy.tenant_id == tenant_id, Taxonomy.is_collection.is_(True))
    )
    return [(row.id, row.restricted) for row in db.session.execute(query)]


def _tagged_with(tenant_id: int, term_ids: list[int]):
    return exists().where(
        PublicationTerm.tenant_id == tenant_id,
        PublicationTerm.publication_id == Publication.id,
        PublicationTerm.term_id.in_(term_ids),
    )


def collections_visible(tenant_id: int, user_id: int | None) -> ColumnElement | None:
    """Hide items whose collection terms are all restricted and none assigned to the user:
    visible when untagged with a hidden term, or tagged with a term the user may see. None
    when nothing can be hidden (no restricted term, or every one assigned): the listing then
    carries no extra condition, which keeps the planner's estimates (and JIT) out of it."""
    terms = _collection_terms(tenant_id)
    restricted = {term_id for term_id, is_restricted in terms if is_restricted}
    if not restricted:
        return None
    if user_id is not None:
        restricted -= access.entitled_collection_term_ids(tenant_id, user_id)
    if not restricted:
        return None
    seen = sorted(term_id for term_id, _ in terms if term_id not in restricted)
    condition = ~_tagged_with(tenant_id, sorted(restricted))
    return or_(condition, _tagged_with(tenant_id, seen)) if seen else condition


def conditions(
    options: StorefrontOptions,
    *,
    tenant_id: int,
    user_id: int | None,
    now: datetime,
    personal: bool = False,
) -> list[ColumnElement]:
    """Conditions the options add to the entry scope; `personal` views (my_issues,
    continue_reading) keep scheduled items, as a reader's library does."""
    found: list[ColumnElement] = []
    if options.exclude_scheduled_publications and not personal:
        found.append(Publication.published_at <= now)
    if options.exclude_physical_publications:
        found.append(Publication.is_physical.is_(False))
    if options.exclude_free_publications:
        found.append(Publication.is_free.is_(False))
    if options.exclude_adult_content:
        found.append(Publication.is_adult.is_(False))
    if options.force_only_sees_readable:
        readable = access.readable_ids(tenant_id, user_id) if user_id is not None else set()
        found.append(Publication.id.in_(sorted(readable)) if readable else false())
    if options.assigns_collections_scope:
        visible = collections_visible(tenant_id, user_id)
        if visible is not None:
            found.append(visible)
    return found
