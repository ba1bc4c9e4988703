"""Search (spec 70 §3.4; acceptance 16, 17): fields, the terms gate, hostile input, and the same
results on PostgreSQL and SQLite."""

from __future__ import annotations

import logging

import flask_migrate
import pytest
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker

from app.extensions import db
from services import currencies
from services.inventory.options import FeatureGates
from services.inventory.search import fts_expression, normalise_query
from services.inventory.search_index import html_text
from services.tenancy import context
from tests.unit.services.inventory.conftest import ALL_GATES, CatalogBuilder, listing, titles

NO_TERMS = FeatureGates(search=True, search_terms=False)
QUERIES = [
    "tango",  # title
    "Borges",  # contributor
    "lighthouse",  # description only
    "noir",  # term only (needs search_terms)
    "mañana",  # accents on both sides
    "manana",
    "tan",  # prefix of the last word
    "jorge borg",  # several words, last as a prefix
    "garcía márquez",
    '"foo OR bar*',
    "NEAR(a b) AND -c: ^d {title}",
    "x",
    "",
]


def build_fixture(catalog: CatalogBuilder, shop: int) -> None:
    """The same catalogue on any backend (titles are the comparison key)."""
    genre = catalog.taxonomy(shop, "genre")
    noir = catalog.term(shop, genre, "noir", name="Noir")
    items = [
        catalog.publication(
            shop, "Tango Nights", contributors=[("Jorge Luis Borges", "author")], days_ago=3
        ),
        catalog.publication(
            shop,
            "Sea Stories",
            description_html="<p>A keeper of the <b>lighthouse</b>.</p><p>Mañana</p>",
            days_ago=2,
        ),
        catalog.publication(shop, "Crime Pages", days_ago=1),
        catalog.publication(
            shop, "Cien años", contributors=[("Gabriel García Márquez", "author")], days_ago=4
        ),
        catalog.publication(shop, "Tangent Lines", days_ago=5),
        catalog.publication(shop, "Foo or Bar", days_ago=6),
    ]
    catalog.tag(shop, items[2], noir)
    catalog.reindex(*items)


def run_queries(shop: int) -> dict[tuple[str, bool], list[str]]:
    results = {}
    for q in QUERIES:
        for gates in (ALL_GATES, NO_TERMS):
            results[(q, gates.search_terms)] = sorted(titles(listing(shop, q=q, gates=gates)))
    return results


@pytest.fixture
def searchable(catalog, shop):
    build_fixture(catalog, shop)
    return shop


def test_search_matches_title_contributors_description_and_gated_terms(searchable):
    shop = searchable
    assert titles(listing(shop, q="tango nights")) == ["Tango Nights"]
    assert titles(listing(shop, q="borges")) == ["Tango Nights"]
    assert titles(listing(shop, q="lighthouse")) == ["Sea Stories"]
    assert titles(listing(shop, q="noir")) == ["Crime Pages"]
    assert titles(listing(shop, q="noir", gates=NO_TERMS)) == []
    assert titles(listing(shop, q="Marquez")) == ["Cien años"]
    assert titles(listing(shop, q="TAN")) == ["Tango Nights", "Tangent Lines"]  # newest first


def test_hostile_input_does_not_error(searchable):
    for q in ('"foo OR bar*', "a' OR 1=1 --", "(((", "*", "title:foo", "\x00\x01ab", "é" * 500):
        listing(searchable, q=q)
    assert titles(listing(searchable, q='"foo OR bar*')) == ["Foo or Bar"]


def test_short_or_gated_queries_do_not_search(searchable, caplog):
    everything = len(listing(searchable).items)
    assert len(listing(searchable, q=" x ").items) == everything
    with caplog.at_level(logging.INFO, logger="inventory.filters"):
        ungated = listing(searchable, q="tango", gates=FeatureGates())
    assert len(ungated.items) == everything
    assert "search_ignored" in caplog.text


def test_relevance_then_recency_unless_an_order_is_given(catalog, shop):
    weak = catalog.publication(shop, "Something", description_html="<p>harbour</p>", days_ago=1)
    strong = catalog.publication(shop, "Harbour", days_ago=9)
    catalog.reindex(weak, strong)
    assert titles(listing(shop, q="harbour")) == ["Harbour", "Something"]
    assert titles(listing(shop, q="harbour", order="published_at")) == ["Something", "Harbour"]


def test_query_normalisation_and_fts_quoting():
    assert normalise_query("  ab  ") == "ab"
    assert normalise_query("a") is None and normalise_query("--") is None
    assert len(normalise_query("x" * 300)) == 100
    assert fts_expression(["foo", "or", "bar"], True) == '"foo" "or" "bar"*'
    assert fts_expression(["foo"], False) == '{title contributors description} : ("foo"*)'
    assert html_text("<p>a</p><p>b &amp; c</p>") == "a b & c"


def test_reindex_follows_terms_per_catalogue(catalog, shop, other_shop):
    """Terms are per tenant: the owner's tag does not make the item findable in the target."""
    item = catalog.publication(other_shop, "Shared Thing")
    catalog.share(other_shop, item, shop)
    theirs = catalog.term(other_shop, catalog.taxonomy(other_shop, "genre"), "western")
    catalog.tag(other_shop, item, theirs)
    catalog.reindex(item)
    assert titles(listing(other_shop, q="western")) == ["Shared Thing"]
    assert titles(listing(shop, q="western")) == []
    assert titles(listing(shop, q="shared")) == ["Shared Thing"]


def test_postgresql_and_sqlite_give_the_same_results(searchable, build_app, tmp_path, is_postgres):
    if not is_postgres:
        pytest.skip("the main run is on SQLite already; the comparison needs PostgreSQL")
    expected = run_queries(searchable)
    assert expected[("tango", True)] == ["Tango Nights"]

    from tests.conftest import _reset_caches

    lite = build_app(DATABASE_URL=f"sqlite:///{tmp_path / 'search.db'}")
    original = db.session
    scope = context._current.set(context.Scope())
    try:
        with lite.app_context():
            flask_migrate.upgrade()
            _reset_caches(lite)
            db.session = scoped_session(
                sessionmaker(bind=db.engine, expire_on_commit=False), scopefunc=_app_ctx_id
            )
            assert db.session.get_bind().dialect.name == "sqlite"
            token = context.enter_platform()
            currencies.seed()
            db.session.commit()
            context.reset_scope(token)
            from tests.factories import TenantFactory

            shop = TenantFactory(status="active").id
            build_fixture(CatalogBuilder(), shop)
            db.session.commit()
            assert run_queries(shop) == expected
            db.session.remove()
    finally:
        db.session = original
        context._current.reset(scope)
