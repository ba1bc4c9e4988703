"""Search vectors of the storefront benchmark's bulk-loaded catalogue: filled in one UPDATE per
table with the search index's own SQL expressions, then checked against reindex_publication."""

from __future__ import annotations

import re

from sqlalchemy import text


def _set_expression(statement, column: str, binds: dict[str, str]) -> str:
    """The right-hand side of `SET column = ...` of a search_index statement, with its bind
    parameters replaced by column references of the bulk UPDATE."""
    sql = statement.text
    _, found, rest = sql.partition(f"SET {column} =")
    expression, where, _ = rest.rpartition(" WHERE id = :id")
    if not found or not where:
        raise RuntimeError(f"search_index changed shape: {sql!r}")
    for name, replacement in binds.items():
        expression = expression.replace(f":{name})", f"{replacement})")
    if re.search(r":[a-z_]+", expression):
        raise RuntimeError(f"unbound parameters left in {expression!r}")
    return expression


def fill_search_vectors(engine) -> None:
    """Every publication's search_vector and every entry's terms_vector in one UPDATE each,
    with the expressions of services/inventory/search_index.py (contributor names in credit
    order, term names in term order, the description's text as html_text gives it)."""
    from services.inventory.search_index import COMBINE_ENTRY_VECTORS, PG_ENTRY, PG_PUBLICATION

    publication = _set_expression(
        PG_PUBLICATION,
        "search_vector",
        {"title": "p.title", "contributors": "s.contributors", "description": "s.description"},
    )
    entry = _set_expression(PG_ENTRY, "terms_vector", {"terms": "s.terms"})
    with engine.begin() as conn:
        conn.execute(
            text(
                f"UPDATE publications p SET search_vector = {publication}"
                " FROM (SELECT d.publication_id AS id, d.description,"
                "   coalesce(string_agg(c.name, ' ' ORDER BY pc.position, pc.role), '')"
                "     AS contributors"
                "   FROM bench_descriptions d"
                "   LEFT JOIN publication_contributors pc ON pc.publication_id = d.publication_id"
                "   LEFT JOIN contributors c ON c.id = pc.contributor_id"
                "   GROUP BY d.publication_id, d.description) s"
                " WHERE s.id = p.id"
            )
        )
        conn.execute(
            text(
                f"UPDATE catalog_entries e SET terms_vector = {entry}"
                " FROM (SELECT e2.id,"
                "   coalesce(string_agg(t.name, ' ' ORDER BY t.position, t.name), '') AS terms"
                "   FROM catalog_entries e2"
                "   LEFT JOIN publication_terms pt ON pt.publication_id = e2.publication_id"
                "     AND pt.tenant_id = e2.tenant_id"
                "   LEFT JOIN taxonomy_terms t ON t.id = pt.term_id"
                "   GROUP BY e2.id) s"
                " WHERE s.id = e.id"
            )
        )
        conn.execute(text(COMBINE_ENTRY_VECTORS))
        conn.execute(text("DROP TABLE bench_descriptions"))


def check_search_vectors(app, sample: dict[int, str]) -> int:
    """Recompute a sample with search_index.reindex_publication and compare with the bulk
    values (rolled back); raises on a difference. Returns how many were compared."""
    from app.extensions import db
    from services.inventory.search_index import html_text, reindex_publication
    from services.tenancy import context

    read = text(
        "SELECT p.search_vector::text, e.terms_vector::text, e.search_vector::text"
        " FROM publications p"
        " JOIN catalog_entries e ON e.publication_id = p.id WHERE p.id = :id"
    )
    with app.app_context():
        token = context.enter_platform()
        try:
            for pid, description in sample.items():
                if html_text(f"<p>{description}</p>") != description:
                    raise RuntimeError(f"publication {pid}: html_text differs from the bulk text")
                bulk = tuple(db.session.execute(read, {"id": pid}).one())
                reindex_publication(pid)
                again = tuple(db.session.execute(read, {"id": pid}).one())
                if bulk != again:
                    raise RuntimeError(f"publication {pid}: bulk {bulk!r} != service {again!r}")
        finally:
            db.session.rollback()
            context.reset_scope(token)
            db.session.remove()
    return len(sample)
