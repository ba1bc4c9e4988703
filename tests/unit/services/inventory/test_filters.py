"""The twelve filters (spec 70 §3.2; acceptance 6–12)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models.tenancy import Tenant
from services.catalog import access
from services.inventory.filters import MAX_VALUES, InventoryFilter
from services.inventory.options import FeatureGates
from tests.unit.services.inventory.conftest import NOW, listing, random_uuid, titles


def test_the_enum_has_exactly_the_twelve_members():
    assert [m.value for m in InventoryFilter] == [
        "file_type",
        "taxonomy",
        "contributor",
        "bisac",
        "year",
        "month",
        "free",
        "latest",
        "audience",
        "recommended",
        "my_issues",
        "continue_reading",
    ]


@pytest.fixture
def shelf(catalog, shop):
    """Two items differing in every filterable attribute; returns their ids and helpers."""
    genre = catalog.taxonomy(shop, "genre")
    crime = catalog.term(shop, genre, "crime")
    a = catalog.publication(
        shop,
        "Alpha",
        file_type="epub",
        audience="children",
        is_free=True,
        published_at=datetime(2024, 6, 1, tzinfo=UTC),
        contributors=[("Ann", "author")],
        bisacs=["FIC000000"],
        featured=True,
    )
    catalog.publication(
        shop,
        "Beta",
        file_type="pdf",
        audience="professional",
        published_at=datetime(2023, 2, 1, tzinfo=UTC),
        contributors=[("Bob", "editor")],
        bisacs=["BUS000000"],
    )
    catalog.tag(shop, a, crime)
    return {"ann": catalog.contributor_uuid(shop, "Ann")}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("file_type", "epub"),
        ("taxonomy", "genre:crime"),
        ("contributor", "ann"),
        ("bisac", "FIC000000"),
        ("year", "2024"),
        ("month", "2024-06"),
        ("free", "free_issues"),
        ("latest", "latest_issues"),
        ("audience", "children"),
    ],
)
def test_each_listing_filter_accepts_a_valid_value_and_narrows(shelf, shop, name, value):
    value = shelf.get(value, value)
    assert sorted(titles(listing(shop))) == ["Alpha", "Beta"]
    assert titles(listing(shop, filters=[(name, value)])) == ["Alpha"]


def test_recommended_keeps_the_recommendation_set(catalog, shop, user_factory):
    reader = user_factory(tenant=db.session.get(Tenant, shop)).id
    genre = catalog.taxonomy(shop, "genre")
    crime = catalog.term(shop, genre, "crime")
    bought = catalog.publication(shop, "Bought crime")
    near = catalog.publication(shop, "Other crime")
    catalog.publication(shop, "Unrelated")
    catalog.tag(shop, bought, crime)
    catalog.tag(shop, near, crime)

    def provider(tenant_id, user_id, candidates):
        return access.Grants(publications={bought: ("purchase", "l1")})

    access.register_provider(provider)
    try:
        result = listing(shop, user_id=reader, filters=[("recommended", "recommended")])
    finally:
        access.unregister(provider)
    assert titles(result) == ["Other crime"]


def test_recommended_needs_its_gate(shelf, shop, caplog):
    gates = FeatureGates(search=True, recommended=False)
    with caplog.at_level(logging.INFO, logger="inventory.filters"):
        result = listing(shop, gates=gates, filters=[("recommended", "1")])
    assert sorted(titles(result)) == ["Alpha", "Beta"]
    assert "reason=gate" in caplog.text


def test_invalid_and_unknown_values_are_dropped_logged_and_the_rest_applies(shelf, shop, caplog):
    specs = [
        ("colour", "red"),
        ("file_type", "docx"),
        ("year", "1899"),
        ("month", "2024-13"),
        ("bisac", "fic000000x"),
        ("contributor", "not-a-uuid"),
        ("contributor", random_uuid()),
        ("taxonomy", "genre:nope"),
        ("taxonomy", "nope:crime"),
        ("free", "yes"),
        ("audience", "everyone"),
        ("file_type", "epub"),
    ]
    with caplog.at_level(logging.INFO, logger="inventory.filters"):
        result = listing(shop, filters=specs)
    assert titles(result) == ["Alpha"]
    drops = [r for r in caplog.records if r.name == "inventory.filters"]
    assert len(drops) == len(specs) - 1
    assert all(r.levelno == logging.INFO and f"tenant={shop}" in r.getMessage() for r in drops)
    assert "'colour'" in drops[0].getMessage() and "'red'" in drops[0].getMessage()


def test_at_most_twenty_values_apply(shelf, shop, caplog):
    specs = [("year", str(y)) for y in range(2024 - MAX_VALUES, 2024)] + [("year", "2024")]
    with caplog.at_level(logging.INFO, logger="inventory.filters"):
        result = listing(shop, filters=specs)
    assert titles(result) == ["Beta"]  # 2004–2023 apply, 2024 is the 21st
    assert "over_total_cap" in caplog.text


def test_different_filters_and_repeated_single_values_or(catalog, shop):
    catalog.publication(shop, "Free PDF", is_free=True)
    catalog.publication(shop, "Paid PDF")
    catalog.publication(shop, "Free EPUB", file_type="epub", is_free=True)
    catalog.publication(shop, "Audio", file_type="audio")
    both = listing(shop, filters=[("file_type", "pdf"), ("free_issues", "free_issues")])
    assert titles(both) == ["Free PDF"]
    either = listing(shop, filters=[("file_type", "pdf"), ("file_type", "epub")])
    assert sorted(titles(either)) == ["Free EPUB", "Free PDF", "Paid PDF"]


def test_terms_and_with_the_taxonomy_cap(catalog, shop, caplog):
    keyword = catalog.taxonomy(shop, "keyword", max_filter_terms=2)
    a, b, c = (catalog.term(shop, keyword, slug) for slug in ("a", "b", "c"))
    both = catalog.publication(shop, "Both")
    only_a = catalog.publication(shop, "Only A")
    catalog.tag(shop, both, a, b)
    catalog.tag(shop, only_a, a, c)
    specs = [("taxonomy", "keyword:a"), ("taxonomy", "keyword:b")]
    assert titles(listing(shop, filters=specs)) == ["Both"]
    with caplog.at_level(logging.INFO, logger="inventory.filters"):
        capped = listing(shop, filters=[*specs, ("taxonomy", "keyword:c")])
    assert titles(capped) == ["Both"]
    assert "over_taxonomy_cap" in caplog.text


def test_contributors_and_bisac_and(catalog, shop):
    catalog.publication(
        shop, "Duo", contributors=[("Ann", "author"), ("Bob", "editor")], bisacs=["ART000000"]
    )
    catalog.publication(shop, "Solo", contributors=[("Ann", "author")], bisacs=["ART000000"])
    ann, bob = catalog.contributor_uuid(shop, "Ann"), catalog.contributor_uuid(shop, "Bob")
    assert titles(listing(shop, filters=[("contributor", ann), ("contributor", bob)])) == ["Duo"]
    bisac_both = [("bisac", "ART000000"), ("bisac", "BIO000000")]
    assert titles(listing(shop, filters=bisac_both)) == []


def test_year_and_month_use_the_tenant_timezone(catalog, tenant_factory, ctx):
    shop = tenant_factory(status="active", timezone="America/Argentina/Buenos_Aires").id
    # 2024-03-31 23:30 in Buenos Aires (UTC-3) is 2024-04-01 02:30 UTC.
    catalog.publication(shop, "Late March", published_at=datetime(2024, 4, 1, 2, 30, tzinfo=UTC))
    catalog.publication(shop, "New Year UTC", published_at=datetime(2024, 1, 1, 1, 0, tzinfo=UTC))
    assert titles(listing(shop, filters=[("month", "2024-03")])) == ["Late March"]
    assert titles(listing(shop, filters=[("month", "2024-04")])) == []
    assert titles(listing(shop, filters=[("years", "2023")])) == ["New Year UTC"]
    both = [("month", "2024-03"), ("month", "2023-12")]
    assert sorted(titles(listing(shop, filters=both))) == ["Late March", "New Year UTC"]


def test_latest_keeps_the_last_thirty_days_newest_first(catalog, shop):
    catalog.publication(shop, "Old", days_ago=31)
    catalog.publication(shop, "Older recent", days_ago=20)
    catalog.publication(shop, "Newest", days_ago=1)
    latest = [("latest", "latest_issues")]
    assert titles(listing(shop, filters=latest)) == ["Newest", "Older recent"]
    by_title = listing(shop, filters=latest, options={"order_by_published_at": False})
    assert titles(by_title) == ["Newest", "Older recent"]  # latest wins over the default
    assert titles(listing(shop, filters=latest, order="title")) == ["Newest", "Older recent"]


def test_flags_accept_their_own_name_one_or_true(catalog, shop):
    catalog.publication(shop, "Free", is_free=True)
    catalog.publication(shop, "Paid")
    for value in ("free_issues", "free", "1", "true", "TRUE"):
        assert titles(listing(shop, filters=[("free_issues", value)])) == ["Free"], value
    assert len(listing(shop, filters=[("free_issues", "0")]).items) == 2


@pytest.mark.parametrize("name", ["my_issues", "continue_reading"])
def test_personal_views_ask_guests_to_sign_in(catalog, shop, name):
    catalog.publication(shop, "Anything")
    result = listing(shop, filters=[(name, name)])
    assert result.items == [] and result.sign_in_needed


def test_my_issues_lists_what_providers_grant_not_free_items(catalog, shop, user_factory):
    reader = user_factory(tenant=db.session.get(Tenant, shop)).id
    plan_term = catalog.term(shop, catalog.taxonomy(shop, "collection", is_collection=True), "p")
    bought = catalog.publication(shop, "Bought")
    via_plan = catalog.publication(shop, "Via plan")
    catalog.publication(shop, "Free", is_free=True)
    catalog.publication(shop, "Expired plan item")
    unpublished = catalog.publication(shop, "Bought then unpublished", draft=True)
    catalog.tag(shop, via_plan, plan_term)

    def provider(tenant_id, user_id, candidates):
        # An expired plan grants nothing: its items are simply absent from the grants.
        return access.Grants(
            publications={bought: ("purchase", "l1"), unpublished: ("purchase", "l2")},
            collection_terms={plan_term: ("subscription", "plan")},
        )

    access.register_provider(provider)
    try:
        result = listing(shop, user_id=reader, filters=[("my_issues", "my_issues")])
    finally:
        access.unregister(provider)
    assert sorted(titles(result)) == ["Bought", "Bought then unpublished", "Via plan"]
    assert not result.sign_in_needed
    assert all(card.readable for card in result.items)


def test_continue_reading_is_empty_for_signed_in_readers_until_reading_sessions_exist(
    catalog, shop, user_factory
):
    reader = user_factory(tenant=db.session.get(Tenant, shop)).id
    catalog.publication(shop, "Anything")
    result = listing(shop, user_id=reader, filters=[("continue_reading", "1")])
    assert result.items == [] and not result.sign_in_needed


def test_languages_or_and_invalid_codes_drop(catalog, shop, caplog):
    catalog.publication(shop, "English")
    catalog.publication(shop, "Spanish", language="es")
    catalog.publication(shop, "German", language="de")
    with caplog.at_level(logging.INFO, logger="inventory.filters"):
        result = listing(shop, languages=["en", "ES", "zz", "english"])
    assert sorted(titles(result)) == ["English", "Spanish"]
    assert caplog.text.count("reason=invalid") == 2


def test_scheduled_items_stay_hidden_from_latest(catalog, shop):
    catalog.publication(shop, "Tomorrow", published_at=NOW + timedelta(days=1))
    off = {"exclude_scheduled_publications": False}
    assert titles(listing(shop, filters=[("latest", "1")], options=off)) == []
