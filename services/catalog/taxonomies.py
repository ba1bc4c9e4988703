"""A tenant's taxonomies (one may be its collections) and, re-exported, their terms and the
tagging of publications (spec 70 §1.2). Slugs become `/library/filter` parameter names."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.catalog import Taxonomy
from services import activity
from services.activity import Actor
from services.catalog import taxonomy_rules as rules
from services.catalog import versions
from services.catalog.sanitize import clean_line
from services.catalog.terms import (
    create_term,
    delete_term,
    set_terms,
    terms_of,
    update_term,
)
from services.inventory.url_contract import RESERVED_PARAMS
from services.rows import insert_or_conflict

__all__ = [
    "RESERVED_PARAMS",  # the URL contract owns the list; forms read it here
    "create_taxonomy",
    "create_term",
    "delete_taxonomy",
    "delete_term",
    "set_terms",
    "taxonomies_with_terms",
    "terms_of",
    "update_taxonomy",
    "update_term",
]
get_taxonomy = rules.get_taxonomy
get_term = rules.get_term


def taxonomies_with_terms(tenant_id: int) -> list[Taxonomy]:
    query = (
        select(Taxonomy)
        .where(Taxonomy.tenant_id == tenant_id)
        .options(selectinload(Taxonomy.terms))
        .order_by(Taxonomy.position, Taxonomy.name)
    )
    return list(db.session.scalars(query))


def create_taxonomy(
    actor: Actor,
    tenant_id: int,
    *,
    name: str,
    slug: str,
    is_collection: bool = False,
    max_filter_terms: int = 1,
    position: int | None = None,
) -> Taxonomy:
    row = Taxonomy(
        tenant_id=tenant_id,
        name=clean_line(name, field="name", max_length=80),
        slug=rules.taxonomy_slug(slug),
        is_collection=bool(is_collection),
        max_filter_terms=rules.max_filter_terms(max_filter_terms),
        position=position
        if position is not None
        else rules.next_position(Taxonomy.position, Taxonomy.tenant_id == tenant_id),
    )
    if row.is_collection:
        rules.check_one_collection(tenant_id, None)
    insert_or_conflict(row, message="Another taxonomy has that name in URLs.", field="slug")
    activity.record(
        actor,
        "taxonomy.create",
        "taxonomy",
        row.uuid,
        tenant_id=tenant_id,
        after={"name": row.name, "slug": row.slug, "is_collection": row.is_collection},
    )
    versions.bump_catalog_after_commit(tenant_id)
    return row


TAXONOMY_FIELDS = ("name", "slug", "is_collection", "max_filter_terms", "position")


def update_taxonomy(actor: Actor, tenant_id: int, taxonomy_uuid, **changes) -> Taxonomy:
    row = rules.get_taxonomy(tenant_id, taxonomy_uuid)
    unknown = set(changes) - set(TAXONOMY_FIELDS)
    if unknown:
        raise TypeError(f"not taxonomy fields: {sorted(unknown)}")
    cleaners = {
        "name": lambda v: clean_line(v, field="name", max_length=80),
        "slug": rules.taxonomy_slug,
        "is_collection": bool,
        "max_filter_terms": rules.max_filter_terms,
        "position": int,
    }
    values = {name: cleaners[name](value) for name, value in changes.items()}
    if values.get("is_collection") and not row.is_collection:
        rules.check_one_collection(tenant_id, row.id)
    before = {name: getattr(row, name) for name in TAXONOMY_FIELDS}
    for name, value in values.items():
        setattr(row, name, value)
    old, new = activity.diff(before, {name: getattr(row, name) for name in TAXONOMY_FIELDS})
    if not new:
        return row
    insert_or_conflict(row, message="Another taxonomy has that name in URLs.", field="slug")
    activity.record(
        actor, "taxonomy.update", "taxonomy", row.uuid, tenant_id=tenant_id, before=old, after=new
    )
    versions.bump_catalog_after_commit(tenant_id)
    return row


def delete_taxonomy(actor: Actor, tenant_id: int, taxonomy_uuid) -> None:
    """The taxonomy, its terms and every tag of them go (shelves of its terms too)."""
    row = rules.get_taxonomy(tenant_id, taxonomy_uuid)
    term_ids = [term.id for term in row.terms]
    rules.reindex_tagged(tenant_id, term_ids)
    activity.record(
        actor,
        "taxonomy.delete",
        "taxonomy",
        row.uuid,
        tenant_id=tenant_id,
        before={"name": row.name, "slug": row.slug},
    )
    db.session.delete(row)
    db.session.flush()
    versions.bump_catalog_after_commit(tenant_id)
