"""Catalogue rows for storefront tests, written straight to the models inside a tenant scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
from app.models.storefront import (
    CatalogEntry,
    StorefrontSettings,
    StorefrontShelf,
    StorefrontShelfItem,
)

DAY = timedelta(days=1)
UNSET = object()


def publication(tenant_id: int, title: str, *, published_at=UNSET, **fields) -> Publication:
    """A live (ready, published yesterday) PDF with its owned catalogue entry."""
    fields.setdefault("file_type", "pdf")
    fields.setdefault("language", "en")
    fields.setdefault("status", "ready")
    when = datetime.now(UTC) - DAY if published_at is UNSET else published_at
    row = Publication(tenant_id=tenant_id, title=title, published_at=when, **fields)
    db.session.add(row)
    db.session.flush()
    db.session.add(CatalogEntry(tenant_id=tenant_id, publication_id=row.id, source="owned"))
    db.session.flush()
    return row


def credit(publication: Publication, name: str, role: str = "author") -> None:
    person = Contributor(tenant_id=publication.tenant_id, name=name, sort_name=name)
    db.session.add(person)
    db.session.flush()
    db.session.add(
        PublicationContributor(
            tenant_id=publication.tenant_id,
            publication_id=publication.id,
            contributor_id=person.id,
            role=role,
        )
    )
    db.session.flush()


def price(tenant_id: int, publication: Publication, currency: str, amount_minor: int) -> None:
    db.session.add(
        PublicationPrice(
            tenant_id=tenant_id,
            publication_id=publication.id,
            currency=currency,
            amount_minor=amount_minor,
        )
    )
    db.session.flush()


def taxonomy(tenant_id: int, name: str, slug: str, **fields) -> Taxonomy:
    row = Taxonomy(tenant_id=tenant_id, name=name, slug=slug, **fields)
    db.session.add(row)
    db.session.flush()
    return row


def term(tax: Taxonomy, name: str, slug: str, **fields) -> TaxonomyTerm:
    row = TaxonomyTerm(tenant_id=tax.tenant_id, taxonomy_id=tax.id, name=name, slug=slug, **fields)
    db.session.add(row)
    db.session.flush()
    return row


def tag(tenant_id: int, publication: Publication, *terms: TaxonomyTerm) -> None:
    for item in terms:
        db.session.add(
            PublicationTerm(tenant_id=tenant_id, publication_id=publication.id, term_id=item.id)
        )
    db.session.flush()


def shelf(tenant_id: int, title: str, position: int, kind: str = "manual", **fields):
    row = StorefrontShelf(
        tenant_id=tenant_id, title=title, position=position, kind=kind, enabled=True, **fields
    )
    db.session.add(row)
    db.session.flush()
    return row


def manual_shelf(tenant_id: int, title: str, position: int, publications, **fields):
    row = shelf(tenant_id, title, position, "manual", **fields)
    for index, item in enumerate(publications):
        db.session.add(
            StorefrontShelfItem(
                tenant_id=tenant_id, shelf_id=row.id, publication_id=item.id, position=index
            )
        )
    db.session.flush()
    return row


def settings(tenant_id: int, **fields) -> StorefrontSettings:
    row = StorefrontSettings(tenant_id=tenant_id, **fields)
    db.session.add(row)
    db.session.flush()
    return row
