"""Keeps the search indexes of one publication current (spec 70 §3.4): its tsvector and every
catalogue entry's terms vector on PostgreSQL, the FTS5 rows of its entries on SQLite."""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser

from sqlalchemy import select, text

from app.extensions import db
from app.models.catalog import (
    Contributor,
    Publication,
    PublicationContributor,
    PublicationTerm,
    TaxonomyTerm,
)
from app.models.storefront import CatalogEntry
from services.catalog.scope import catalog_reads

PG_PUBLICATION = text(
    "UPDATE publications SET search_vector ="
    " setweight(to_tsvector('simple', unaccent(:title)), 'A')"
    " || setweight(to_tsvector('simple', unaccent(:contributors)), 'B')"
    " || setweight(to_tsvector('simple', unaccent(:description)), 'D')"
    " WHERE id = :id"
)
PG_ENTRY = text(
    "UPDATE catalog_entries SET terms_vector ="
    " setweight(to_tsvector('simple', unaccent(:terms)), 'C') WHERE id = :id"
)
# What a search with terms matches: the publication's vector joined with this entry's terms,
# kept in one indexed column so the match can use a GIN index (a || of two columns cannot).
COMBINE_ENTRY_VECTORS = (
    "UPDATE catalog_entries e SET search_vector ="
    " coalesce(p.search_vector, ''::tsvector) || coalesce(e.terms_vector, ''::tsvector)"
    " FROM publications p WHERE p.id = e.publication_id"
)
PG_ENTRY_COMBINED = text(COMBINE_ENTRY_VECTORS + " AND e.publication_id = :publication_id")
FTS_DELETE = text("DELETE FROM catalog_fts WHERE rowid = :id")
FTS_INSERT = text(
    "INSERT INTO catalog_fts (rowid, title, contributors, terms, description)"
    " VALUES (:id, :title, :contributors, :terms, :description)"
)
# Entries deleted since (a revoked share, a removed marketplace item) leave rows behind; their
# rowid could be reused by a later entry, so they go whenever any publication is reindexed.
FTS_ORPHANS = text("DELETE FROM catalog_fts WHERE rowid NOT IN (SELECT id FROM catalog_entries)")


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag, attrs) -> None:
        self.parts.append(" ")  # <p>a</p><p>b</p> must not glue "ab"

    def handle_endtag(self, tag) -> None:
        self.parts.append(" ")


def html_text(html: str | None) -> str:
    """The readable text of sanitised description HTML."""
    if not html:
        return ""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return " ".join(unescape("".join(parser.parts)).split())


def _fields(session, publication_id: int) -> dict | None:
    publication = session.execute(
        select(Publication.id, Publication.title, Publication.description_html).where(
            Publication.id == publication_id, Publication.deleted_at.is_(None)
        )
    ).first()
    if publication is None:
        return None
    names = session.scalars(
        select(Contributor.name)
        .join(PublicationContributor, PublicationContributor.contributor_id == Contributor.id)
        .where(PublicationContributor.publication_id == publication_id)
        .order_by(PublicationContributor.position, PublicationContributor.role)
    ).all()
    return {
        "id": publication_id,
        "title": publication.title,
        "contributors": " ".join(dict.fromkeys(names)),
        "description": html_text(publication.description_html),
    }


def _entry_terms(session, publication_id: int) -> list[tuple[int, str]]:
    """(entry id, that entry's tenant's term names on the publication) for every entry."""
    entries = session.execute(
        select(CatalogEntry.id, CatalogEntry.tenant_id).where(
            CatalogEntry.publication_id == publication_id
        )
    ).all()
    rows = session.execute(
        select(PublicationTerm.tenant_id, TaxonomyTerm.name)
        .join(TaxonomyTerm, TaxonomyTerm.id == PublicationTerm.term_id)
        .where(PublicationTerm.publication_id == publication_id)
        .order_by(TaxonomyTerm.position, TaxonomyTerm.name)
    ).all()
    by_tenant: dict[int, list[str]] = {}
    for tenant_id, name in rows:
        by_tenant.setdefault(tenant_id, []).append(name)
    return [(entry.id, " ".join(by_tenant.get(entry.tenant_id, []))) for entry in entries]


def reindex_publication(publication_id: int) -> None:
    """Recompute the search data of `publication_id` and of every entry holding it; a deleted
    or missing publication loses its FTS rows. Flushes; the caller commits."""
    session = db.session
    with catalog_reads("inventory: reindex a publication for every catalogue holding it"):
        fields = _fields(session, publication_id)
        entries = _entry_terms(session, publication_id)
        if session.get_bind().dialect.name == "postgresql":
            if fields is not None:
                session.execute(PG_PUBLICATION, fields)
                for entry_id, terms in entries:
                    session.execute(PG_ENTRY, {"id": entry_id, "terms": terms})
                session.execute(PG_ENTRY_COMBINED, {"publication_id": publication_id})
            return
        session.execute(FTS_ORPHANS)
        for entry_id, terms in entries:
            session.execute(FTS_DELETE, {"id": entry_id})
            if fields is not None:
                session.execute(FTS_INSERT, {**fields, "id": entry_id, "terms": terms})
