"""The rules taxonomies and terms share: slug formats and reserved names, look-ups by uuid
within a tenant, and re-indexing what carries a term (spec 70 §1.2, §5.2)."""

from __future__ import annotations

import re
import unicodedata
import uuid as uuid_lib

from sqlalchemy import func, select

from app.extensions import db
from app.models.catalog import PublicationTerm, Taxonomy, TaxonomyTerm
from services.catalog.entries import reindex_after_commit
from services.errors import NotFound, ValidationError
from services.inventory.url_contract import is_reserved

TAXONOMY_SLUG = re.compile(r"[a-z][a-z0-9_]{1,39}")
TERM_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")


def ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def parse_uuid(value, what: str) -> uuid_lib.UUID:
    try:
        return value if isinstance(value, uuid_lib.UUID) else uuid_lib.UUID(str(value))
    except ValueError:
        raise NotFound(f"No such {what}.") from None


def taxonomy_slug(raw) -> str:
    slug = str(raw or "").strip().lower()
    if not TAXONOMY_SLUG.fullmatch(slug):
        raise ValidationError(
            "Use 2-40 lower-case letters, digits or underscores, starting with a letter.",
            field="slug",
        )
    if is_reserved(slug):
        raise ValidationError("That name is reserved by the storefront's filters.", field="slug")
    return slug


def term_slug(raw, name: str) -> str:
    text = str(raw or "").strip().lower()
    if not text:  # derived from the name: "Ciencia Ficción" -> "ciencia-ficcion"
        text = re.sub(r"[^a-z0-9]+", "-", ascii_lower(name)).strip("-")
    if not TERM_SLUG.fullmatch(text) or len(text) > 120:
        raise ValidationError(
            "Use lower-case letters, digits and dashes, starting with a letter or digit.",
            field="slug",
        )
    return text


def max_filter_terms(value) -> int:
    if value not in (1, 2) or isinstance(value, bool):
        raise ValidationError("Allow one or two terms in a filter.", field="max_filter_terms")
    return value


def check_one_collection(tenant_id: int, taxonomy_id: int | None) -> None:
    query = select(Taxonomy.id).where(Taxonomy.tenant_id == tenant_id, Taxonomy.is_collection)
    if taxonomy_id is not None:
        query = query.where(Taxonomy.id != taxonomy_id)
    if db.session.scalar(query) is not None:
        raise ValidationError(
            "Your store already has a collections taxonomy.", field="is_collection"
        )


def reindex_tagged(tenant_id: int, term_ids: list[int]) -> None:
    """Term names feed this tenant's search vectors: re-index what carries these terms."""
    if not term_ids:
        return
    publication_ids = db.session.scalars(
        select(PublicationTerm.publication_id)
        .where(PublicationTerm.tenant_id == tenant_id, PublicationTerm.term_id.in_(term_ids))
        .distinct()
    ).all()
    for publication_id in publication_ids:
        reindex_after_commit(publication_id, tenant_id)


def get_taxonomy(tenant_id: int, key) -> Taxonomy:
    found = db.session.scalar(
        select(Taxonomy).where(
            Taxonomy.tenant_id == tenant_id, Taxonomy.uuid == parse_uuid(key, "taxonomy")
        )
    )
    if found is None:
        raise NotFound("No such taxonomy.")
    return found


def get_term(tenant_id: int, key) -> TaxonomyTerm:
    found = db.session.scalar(
        select(TaxonomyTerm).where(
            TaxonomyTerm.tenant_id == tenant_id, TaxonomyTerm.uuid == parse_uuid(key, "term")
        )
    )
    if found is None:
        raise NotFound("No such term.")
    return found


def next_position(column, *conditions) -> int:
    return (
        int(db.session.scalar(select(func.coalesce(func.max(column), -1)).where(*conditions))) + 1
    )
