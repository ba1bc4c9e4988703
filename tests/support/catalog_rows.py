"""Catalogue rows written straight through the models (no catalogue service), for tests of the
listing, storefront and search code; every writer flushes and returns the row."""

from __future__ import annotations

from app.extensions import db
from app.models.catalog import (
    Contributor,
    Publication,
    PublicationContributor,
    PublicationPrice,
    PublicationTerm,
    Taxonomy,
    TaxonomyTerm,
)
from app.models.storefront import CatalogEntry


def _added(row):
    db.session.add(row)
    db.session.flush()
    return row


def publication(
    tenant_id: int, title: str, *, entry: bool = True, featured: bool = False, **fields
):
    """A publication and, with `entry`, its owned catalogue entry."""
    row = _added(Publication(tenant_id=tenant_id, title=title, **fields))
    if entry:
        _added(
            CatalogEntry(
                tenant_id=tenant_id, publication_id=row.id, source="owned", is_featured=featured
            )
        )
    return row


def contributor(tenant_id: int, name: str) -> Contributor:
    return _added(Contributor(tenant_id=tenant_id, name=name, sort_name=name))


def credit(tenant_id: int, publication_id: int, contributor_id: int, role="author", position=0):
    return _added(
        PublicationContributor(
            tenant_id=tenant_id,
            publication_id=publication_id,
            contributor_id=contributor_id,
            role=role,
            position=position,
        )
    )


def price(tenant_id: int, publication_id: int, currency: str, amount_minor: int):
    return _added(
        PublicationPrice(
            tenant_id=tenant_id,
            publication_id=publication_id,
            currency=currency,
            amount_minor=amount_minor,
        )
    )


def taxonomy(tenant_id: int, slug: str, name: str, **fields) -> Taxonomy:
    return _added(Taxonomy(tenant_id=tenant_id, slug=slug, name=name, **fields))


def term(tenant_id: int, taxonomy_id: int, slug: str, name: str, **fields) -> TaxonomyTerm:
    return _added(
        TaxonomyTerm(tenant_id=tenant_id, taxonomy_id=taxonomy_id, slug=slug, name=name, **fields)
    )


def tag(tenant_id: int, publication_id: int, *term_ids: int) -> None:
    for term_id in term_ids:
        db.session.add(
            PublicationTerm(tenant_id=tenant_id, publication_id=publication_id, term_id=term_id)
        )
    db.session.flush()
