"""The option part of the base scope (spec 70 §3.3, §4.2): scheduled, physical, free and adult
items, readable-only listings and restricted collections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, false, or_, select

from app.models.catalog import Publication, PublicationTerm, Taxonomy, TaxonomyTerm
from services.catalog import access
from services.inventory.options import StorefrontOptions


def _collection_terms(tenant_id: int):
    """This tenant's collection terms on the outer publication."""
    return (
        select(PublicationTerm.term_id)
        .join(TaxonomyTerm, TaxonomyTerm.id == PublicationTerm.term_id)
        .join(Taxonomy, Taxonomy.id == TaxonomyTerm.taxonomy_id)
        .where(
            PublicationTerm.tenant_id == tenant_id,
            PublicationTerm.publication_id == Publication.id,
            Taxonomy.is_collection.is_(True),
        )
    )


def collections_visible(tenant_id: int, user_id: int | None) -> ColumnElement:
    """No collection term, or at least one the user may see (open, or restricted and assigned
    to the user by an active plan)."""
    entitled = (
        sorted(access.entitled_collection_term_ids(tenant_id, user_id))
        if user_id is not None
        else []
    )
    open_term = TaxonomyTerm.restricted.is_(False)
    if entitled:
        open_term = or_(open_term, TaxonomyTerm.id.in_(entitled))
    terms = _collection_terms(tenant_id)
    return or_(~exists(terms), exists(terms.where(open_term)))


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
        found.append(collections_visible(tenant_id, user_id))
    return found
