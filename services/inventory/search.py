"""Full-text search of a listing (spec 70 §3.4): tsvector on PostgreSQL, FTS5 on SQLite, both
fed by search_index.py. User input never reaches either query syntax unescaped."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Select, bindparam, column, func, literal_column, table

from app.models.catalog import Publication
from app.models.storefront import CatalogEntry

MAX_QUERY_LENGTH = 100
MIN_QUERY_LENGTH = 2
MAX_WORDS = 16
# Letters and digits only: both tokenizers split on everything else (underscore included), so
# the words we keep are the words both indexes hold.
WORD = re.compile(r"[^\W_]+")
FTS_COLUMNS_WITHOUT_TERMS = "{title contributors description}"
# bm25 column weights mirroring PostgreSQL's A/B/C/D defaults (1, 0.4, 0.2, 0.1).
BM25_WEIGHTS = (10.0, 4.0, 2.0, 1.0)

catalog_fts = table("catalog_fts", column("rowid"))


def normalise_query(q: object) -> str | None:
    """`q` trimmed and cut to 100 characters; None when under 2 characters or without a word."""
    if not isinstance(q, str):
        return None
    text = q.strip()[:MAX_QUERY_LENGTH].strip()
    if len(text) < MIN_QUERY_LENGTH or not WORD.search(text):
        return None
    return text


def query_words(q: str) -> list[str]:
    return WORD.findall(q)[:MAX_WORDS]


def _pg_tsquery(words: list[str]) -> ColumnElement:
    """websearch_to_tsquery over every word but the last, which also matches as a prefix."""
    *head, last = words
    prefix = func.to_tsquery(
        "simple",
        func.concat("'", func.unaccent(bindparam("search_last", last)), "':*"),
    )
    if not head:
        return prefix
    whole = func.websearch_to_tsquery(
        "simple", func.unaccent(bindparam("search_head", " ".join(head)))
    )
    return whole.op("&&")(prefix)


def _pg(query: Select, words: list[str], include_terms: bool) -> tuple[Select, ColumnElement]:
    # Each vector is one GIN-indexed column, matched as is (a coalesce or || would hide it
    # from the index); the entry's vector holds the publication's words plus its terms.
    vector = CatalogEntry.search_vector if include_terms else Publication.search_vector
    tsquery = _pg_tsquery(words)
    return query.where(vector.op("@@")(tsquery)), func.ts_rank_cd(vector, tsquery)


def fts_expression(words: list[str], include_terms: bool) -> str:
    """Each word quoted (FTS5 syntax in the input stays literal), the last also a prefix."""
    phrases = [f'"{word}"' for word in words]
    phrases[-1] += "*"
    expression = " ".join(phrases)
    if not include_terms:
        expression = f"{FTS_COLUMNS_WITHOUT_TERMS} : ({expression})"
    return expression


def _sqlite(query: Select, words: list[str], include_terms: bool) -> tuple[Select, ColumnElement]:
    fts = literal_column("catalog_fts")
    query = query.join(catalog_fts, catalog_fts.c.rowid == CatalogEntry.id).where(
        fts.op("MATCH")(bindparam("search_match", fts_expression(words, include_terms)))
    )
    # bm25 is lower-is-better; negated so both backends rank "higher is better".
    return query, -func.bm25(fts, *BM25_WEIGHTS)


def apply_search(
    query: Select, dialect: str, q: str, *, include_terms: bool
) -> tuple[Select, ColumnElement]:
    """`query` (the tenant's entries joined to publications) narrowed to matches of `q`, and
    the relevance expression (higher is better)."""
    words = query_words(q)
    if dialect == "postgresql":
        return _pg(query, words, include_terms)
    return _sqlite(query, words, include_terms)
