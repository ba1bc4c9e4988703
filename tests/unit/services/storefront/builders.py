"""Catalogue rows for storefront tests, written straight to the models inside a tenant scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.models.catalog import Publication, Taxonomy, TaxonomyTerm
from app.models.storefront import (
    StorefrontSettings,
    StorefrontShelf,
    StorefrontShelfItem,
)
from tests.support import catalog_rows as rows

DAY = timedelta(days=1)
UNSET = object()


def publication(tenant_id: int, title: str, *, published_at=UNSET, **fields) -> Publication:
    """A live (ready, published yesterday) PDF with its owned catalogue entry."""
    fields.setdefault("file_type", "pdf")
    fields.setdefault("language", "en")
    fields.setdefault("status", "ready")
    when = datetime.now(UTC) - DAY if published_at is UNSET else published_at
    return rows.publication(tenant_id, title, published_at=when, **fields)


def credit(publication: Publication, name: str, role: str = "author") -> None:
    person = rows.contributor(publication.tenant_id, name)
    rows.credit(publication.tenant_id, publication.id, person.id, role)


def price(tenant_id: int, publication: Publication, currency: str, amount_minor: int) -> None:
    rows.price(tenant_id, publication.id, currency, amount_minor)


def taxonomy(tenant_id: int, name: str, slug: str, **fields) -> Taxonomy:
    return rows.taxonomy(tenant_id, slug, name, **fields)


def term(tax: Taxonomy, name: str, slug: str, **fields) -> TaxonomyTerm:
    return rows.term(tax.tenant_id, tax.id, slug, name, **fields)


def tag(tenant_id: int, publication: Publication, *terms: TaxonomyTerm) -> None:
    rows.tag(tenant_id, publication.id, *(item.id for item in terms))


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
