"""Ordering, pages, query counts and recommendations (spec 70 §3.5; acceptance 19, 20)."""

from __future__ import annotations

from app.extensions import db
from app.models.tenancy import Tenant
from services.inventory.cards import InventoryPage
from services.inventory.recommendations import recommended_ids
from services.tenancy import tenant_scope
from tests.support.counting import count_queries
from tests.unit.services.inventory.conftest import NOW, listing, titles


def test_default_order_is_newest_first_or_by_title(catalog, shop):
    catalog.publication(shop, "beta", days_ago=1)
    catalog.publication(shop, "Alpha", days_ago=3)
    catalog.publication(shop, "Gamma", days_ago=2)
    assert titles(listing(shop)) == ["beta", "Gamma", "Alpha"]
    assert titles(listing(shop, options={"order_by_published_at": False})) == [
        "Alpha",
        "beta",
        "Gamma",
    ]
    assert titles(listing(shop, order="title")) == ["Alpha", "beta", "Gamma"]


def test_order_by_sales_uses_the_listing_tenants_stats(catalog, shop, other_shop):
    best = catalog.publication(shop, "Best seller", days_ago=5)
    catalog.publication(shop, "No stats, newest", days_ago=1)
    shared = catalog.publication(other_shop, "Shared", days_ago=4)
    catalog.share(other_shop, shared, shop)
    catalog.stat(shop, best, sales=10)
    catalog.stat(shop, shared, sales=3)
    catalog.stat(other_shop, shared, sales=99)  # the owner's sales do not count here
    assert titles(listing(shop, order="sales")) == ["Best seller", "Shared", "No stats, newest"]


def test_pages_clamp_and_past_the_end_is_empty(catalog, shop):
    for day in range(5):
        catalog.publication(shop, f"Item {day}", days_ago=day + 1)
    first = listing(shop, page=1, per_page=2)
    assert titles(first) == ["Item 0", "Item 1"] and first.has_more and first.total == 5
    last = listing(shop, page=3, per_page=2)
    assert titles(last) == ["Item 4"] and not last.has_more
    beyond = listing(shop, page=9, per_page=2)
    assert beyond.items == [] and beyond.page == 9 and not beyond.has_more
    for bad in (0, -3, "abc", None, "2.5"):
        assert listing(shop, page=bad, per_page=2).page == 1
    assert listing(shop, per_page=500).per_page == 48
    assert listing(shop, per_page="x").per_page == 12


def test_a_page_costs_the_same_queries_whatever_its_size(catalog, shop, user_factory):
    genre = catalog.taxonomy(shop, "genre")
    term = catalog.term(shop, genre, "crime")
    for n in range(12):
        item = catalog.publication(
            shop,
            f"Item {n}",
            days_ago=n + 1,
            contributors=[(f"Author {n}", "author"), ("Shared Editor", "editor")],
            bisacs=["FIC000000"],
        )
        catalog.price(shop, item, "USD", 100 + n)
        catalog.tag(shop, item, term)
    options = {"eager_load_terms": True, "eager_load_bisacs": True}
    filters = [("taxonomy", "genre:crime")]

    reader = user_factory(tenant=db.session.get(Tenant, shop)).id

    def run(per_page, user_id=None):
        with count_queries() as statements:
            page = listing(
                shop, user_id=user_id, per_page=per_page, options=options, filters=filters
            )
        return page, len(statements)

    small, small_count = run(2)
    full, full_count = run(12)
    assert len(small.items) == 2 and len(full.items) == 12
    assert small_count == full_count
    run(1, reader)  # the platform's readable-issues cap loads once per process
    assert run(2, reader)[1] == run(12, reader)[1]
    assert full.items[0].contributors == [("Author 0", "author"), ("Shared Editor", "editor")]


def test_cards_round_trip_through_json(catalog, shop):
    item = catalog.publication(shop, "Card", contributors=[("Ann", "author")])
    catalog.price(shop, item, "USD", 500)
    page = listing(shop)
    assert InventoryPage.from_dict(page.to_dict()) == page


def test_guest_recommendations_featured_then_reads_then_recency(catalog, shop):
    catalog.publication(shop, "Newest", days_ago=1)
    catalog.publication(shop, "Featured", featured=True, days_ago=9)
    popular = catalog.publication(shop, "Popular", days_ago=8)
    catalog.publication(shop, "Old", days_ago=30)
    catalog.publication(shop, "Draft", draft=True)
    catalog.stat(shop, popular, reads=40)
    with tenant_scope(shop):
        ids = recommended_ids(shop, None, now=NOW)
        names = [titles_by_id(shop)[i] for i in ids]
    assert names == ["Featured", "Popular", "Newest", "Old"]
    assert len(recommended_ids(shop, None, limit=500, now=NOW)) == 4  # capped at 48 anyway


def test_ids_follow_the_listing_order(catalog, shop, user_factory):
    first = catalog.publication(shop, "First", days_ago=1)
    second = catalog.publication(shop, "Second", days_ago=2)
    from services.inventory.options import FeatureGates
    from services.inventory.service import InventoryService

    user = user_factory(tenant=db.session.get(Tenant, shop)).id
    with tenant_scope(shop):
        service = InventoryService(
            db.session, tenant_id=shop, user_id=user, gates=FeatureGates(), now=NOW
        )
        assert service.ids(1) == [first]
        assert service.ids(10) == [first, second]
        assert service.order_by("sales").ids(10) == [first, second]
        assert service.order_by("title").ids(10) == [first, second]
        assert service.restrict([second]).ids(10) == [second]
        assert service.restrict([]).ids(10) == []


def titles_by_id(shop):
    return {card.id: card.title for card in listing(shop).items}
