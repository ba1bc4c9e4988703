"""StorefrontService: construction, display modes, shelf pages and the cache (spec 70 §4;
acceptance 21-25)."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime

import pytest

from app.extensions import cache, db
from app.models.catalog import Publication
from services.catalog.versions import bump_catalog_now, catalog_version
from services.inventory.options import FeatureGates, StorefrontOptions, options_hash
from services.storefront import service as storefront
from services.storefront.service import StorefrontService
from services.storefront.settings import storefront_settings
from tests.unit.services.storefront import builders as b

GUEST_GATES = FeatureGates()
SPEC_DEFAULTS = {
    "exclude_physical_publications": False,
    "exclude_scheduled_publications": True,
    "assigns_collections_scope": True,
    "force_only_sees_readable": False,
    "exclude_free_publications": False,
    "eager_load_descriptions": True,
    "eager_load_terms": False,
    "eager_load_bisacs": False,
    "order_by_published_at": True,
    "exclude_adult_content": False,
}


def titles(page) -> list[str]:
    return [shelf.title for shelf in page.shelves]


def build(tenant_id, mode="custom", page=1, **kwargs):
    kwargs.setdefault("gates", GUEST_GATES)
    return StorefrontService.for_user(tenant_id, **kwargs).build_shelves(mode, page)


# -- 21: construction -------------------------------------------------------------------------


def test_constants_are_the_documented_ones():
    assert storefront.DEFAULT_ISSUES_PER_PAGE == 12
    assert storefront.DEFAULT_SHELVES_PER_PAGE == 5
    assert storefront.CACHE_TTL_SECONDS == 3600
    assert storefront.CACHE_KEY_PREFIX == "storefront"


def test_for_user_defaults(shop):
    service = StorefrontService.for_user(shop.id, gates=GUEST_GATES)
    assert service.user_id is None
    assert service.issues_per_page == 12
    assert service.shelves_per_page == 5
    assert {f.name: getattr(service.options, f.name) for f in fields(StorefrontOptions)} == (
        SPEC_DEFAULTS
    )


def test_passed_options_override_only_their_keys(shop):
    service = StorefrontService.for_user(
        shop.id, 7, 4, {"exclude_free_publications": True}, gates=GUEST_GATES
    )
    values = {f.name: getattr(service.options, f.name) for f in fields(StorefrontOptions)}
    assert values == {**SPEC_DEFAULTS, "exclude_free_publications": True}
    assert (service.user_id, service.issues_per_page) == (7, 4)


def test_an_unknown_option_raises_value_error(shop):
    with pytest.raises(ValueError):
        StorefrontService.for_user(shop.id, options={"exclude_everything": True}, gates=GUEST_GATES)


# -- 22: display modes and paging -------------------------------------------------------------


def test_default_display_mode_is_custom(shop):
    assert storefront_settings(shop.id) == ("custom", False)
    b.settings(shop.id, display_mode="latest", hide_adult_content=True)
    assert storefront_settings(shop.id) == ("latest", True)


def test_page_two_holds_shelves_six_to_ten_and_empty_shelves_take_no_slot(shop):
    hidden = b.publication(shop.id, "Draft", published_at=None)
    position = 0
    for number in range(1, 13):
        if number in (2, 7):  # empty shelves in between: one with nothing, one with a draft
            position += 1
            b.manual_shelf(shop.id, f"Empty {number}", position, [hidden] if number == 7 else [])
        position += 1
        item = b.publication(shop.id, f"Title {number}")
        b.manual_shelf(shop.id, f"Shelf {number}", position, [item])
    first, second, third = (build(shop.id, page=n) for n in (1, 2, 3))
    assert titles(first) == [f"Shelf {n}" for n in range(1, 6)]
    assert titles(second) == [f"Shelf {n}" for n in range(6, 11)]
    assert titles(third) == ["Shelf 11", "Shelf 12"]
    assert (first.has_more_shelves, second.has_more_shelves, third.has_more_shelves) == (
        True,
        True,
        False,
    )
    assert build(shop.id, page=4).shelves == []


def test_shelf_kinds_items_and_see_all_urls(shop):
    genre = b.taxonomy(shop.id, "Genre", "genre")
    fiction = b.term(genre, "Fiction", "fiction")
    novel = b.publication(shop.id, "A novel")
    b.tag(shop.id, novel, fiction)
    audio = b.publication(shop.id, "An audiobook", file_type="audio")
    older = b.publication(shop.id, "Older", published_at=datetime(2020, 1, 1, tzinfo=UTC))
    b.shelf(shop.id, "By term", 1, "term", term_id=fiction.id)
    b.shelf(shop.id, "Audio", 2, "filter", filter_query="file_type=audio&page=3")
    b.manual_shelf(shop.id, "Picked", 3, [older, novel, audio], max_items=2, style="grid")
    b.shelf(shop.id, "Disabled", 4, "filter", filter_query="file_type=pdf").enabled = False
    db.session.flush()
    shelves = build(shop.id).shelves
    assert titles(build(shop.id)) == ["By term", "Audio", "Picked"]
    by_term, by_filter, manual = shelves
    assert [c.title for c in by_term.cards] == ["A novel"]
    assert by_term.see_all_url == "/library/filter?genre=fiction"
    assert [c.title for c in by_filter.cards] == ["An audiobook"]
    assert by_filter.see_all_url == "/library/filter?file_type=audio"
    # Manual shelves keep their own order and are cut to max_items.
    assert [c.title for c in manual.cards] == ["Older", "A novel"]
    assert manual.has_more and manual.see_all_url is None and manual.style == "grid"


def test_items_per_shelf_are_min_of_max_items_and_page_size(shop):
    items = [b.publication(shop.id, f"T{n}") for n in range(6)]
    b.manual_shelf(shop.id, "Small", 1, items, max_items=2)
    b.shelf(shop.id, "Big", 2, "filter", filter_query="file_type=pdf", max_items=48)
    small, big = build(shop.id, issues_per_page=4).shelves
    assert (len(small.cards), len(big.cards)) == (2, 4)
    assert small.has_more and big.has_more


def test_a_tenant_without_usable_shelves_gets_one_latest_shelf(shop):
    b.publication(shop.id, "Old", published_at=datetime(2021, 5, 1, tzinfo=UTC))
    b.publication(shop.id, "New")
    b.shelf(shop.id, "Nothing matches", 1, "filter", filter_query="file_type=audio")
    result = build(shop.id)
    assert titles(result) == ["Latest"]
    assert [c.title for c in result.shelves[0].cards] == ["New", "Old"]
    assert build(shop.id, page=2).shelves == []


def test_collections_mode_has_one_shelf_per_collection_term_in_term_order(shop):
    collections = b.taxonomy(shop.id, "Collections", "collections", is_collection=True)
    other = b.taxonomy(shop.id, "Genre", "genre")
    terms = [
        b.term(collections, "Zebra", "zebra", position=1),
        b.term(collections, "Alpha", "alpha", position=2),
        b.term(collections, "Members", "members", position=3, restricted=True),
        b.term(collections, "Unused", "unused", position=4),
    ]
    genre = b.term(other, "Fiction", "fiction")
    for item in terms[:3]:
        b.tag(shop.id, b.publication(shop.id, f"In {item.name}"), item, genre)
    result = build(shop.id, "collections")
    assert titles(result) == ["Zebra", "Alpha"]  # restricted for the entitled only; empty skipped
    assert result.shelves[0].see_all_url == "/library/filter?collections=zebra"

    from services.catalog import access

    members = terms[2].id

    def plan(tenant_id, user_id, candidates):  # a plan assigning the restricted collection
        return access.Grants(collection_terms={members: ("subscription", None)})

    access.register_provider(plan)
    try:
        assert titles(build(shop.id, "collections", user_id=5)) == ["Zebra", "Alpha", "Members"]
    finally:
        access.unregister(plan)


def test_latest_mode_has_one_shelf_per_month_newest_first(shop):
    b.publication(shop.id, "March", published_at=datetime(2024, 3, 10, tzinfo=UTC))
    b.publication(shop.id, "May", published_at=datetime(2024, 5, 2, tzinfo=UTC))
    b.publication(shop.id, "May again", published_at=datetime(2024, 5, 20, tzinfo=UTC))
    b.publication(shop.id, "Scheduled", published_at=datetime(2099, 1, 1, tzinfo=UTC))
    result = build(shop.id, "latest")
    assert titles(result) == ["May 2024", "March 2024"]
    assert [c.title for c in result.shelves[0].cards] == ["May again", "May"]
    assert result.shelves[0].see_all_url == "/library/filter?month=2024-05"


def test_an_unknown_display_mode_is_a_programming_error(shop):
    with pytest.raises(ValueError):
        build(shop.id, "everything")


# -- 23: recommended mode ---------------------------------------------------------------------


def test_recommended_mode_adds_the_recommendation_shelf_only_with_the_gate(shop):
    first = b.publication(shop.id, "First")
    b.manual_shelf(shop.id, "Picked", 1, [first])
    on = build(shop.id, "recommended", gates=FeatureGates(recommended=True))
    assert titles(on) == ["Recommended for you", "Picked"]
    assert on.shelves[0].see_all_url == "/library/filter?recommended=recommended"
    off = build(shop.id, "recommended", gates=FeatureGates(recommended=False))
    cache.clear()
    assert off.to_dict() == build(shop.id, "custom").to_dict()
    assert titles(off) == ["Picked"]


# -- 24: the cache ----------------------------------------------------------------------------


def test_cache_key_has_the_documented_shape(shop):
    service = StorefrontService.for_user(shop.id, gates=GUEST_GATES)
    version = catalog_version(shop.id)
    expected = f"storefront:{shop.id}:{version}:guest:0:custom:1:12:{options_hash(service.options)}"
    assert service.cache_key("custom", 1) == expected


def test_keys_differ_by_user_mode_page_size_and_options(shop):
    def key(user_id=None, mode="custom", page=1, per_page=12, options=None):
        service = StorefrontService.for_user(shop.id, user_id, per_page, options, gates=GUEST_GATES)
        return service.cache_key(mode, page)

    keys = [
        key(),
        key(user_id=1),
        key(user_id=2),
        key(mode="latest"),
        key(page=2),
        key(per_page=24),
        key(options={"exclude_adult_content": True}),
    ]
    assert len(set(keys)) == len(keys)
    assert all(k.startswith(f"storefront:{shop.id}:") for k in keys)


def test_a_page_is_cached_for_an_hour_as_json_and_a_version_bump_invalidates_it(shop):
    item = b.publication(shop.id, "Before")
    b.manual_shelf(shop.id, "Picked", 1, [item])
    service = StorefrontService.for_user(shop.id, gates=GUEST_GATES)
    key = service.cache_key("custom", 1)
    assert cache.get(key) is None
    service.build_shelves()
    stored = json.loads(cache.get(key))
    assert stored["shelves"][0]["cards"][0]["title"] == "Before"
    assert 3590 <= cache.ttl(key) <= 3600
    # Changed without a bump: the entry still answers.
    db.session.get(Publication, item.id).title = "After"
    db.session.flush()
    assert service.build_shelves().shelves[0].cards[0].title == "Before"
    bump_catalog_now(shop.id)
    assert service.cache_key("custom", 1) != key
    assert service.build_shelves().shelves[0].cards[0].title == "After"


def test_guests_and_users_never_share_an_entry(shop):
    item = b.publication(shop.id, "Free one", is_free=True)
    b.manual_shelf(shop.id, "Picked", 1, [item])
    guest = build(shop.id)
    reader = build(shop.id, user_id=12345)
    assert guest.shelves[0].cards[0].readable is False
    assert reader.shelves[0].cards[0].readable is True


def test_personal_shelves_are_never_cached(shop):
    b.publication(shop.id, "Anything")
    b.shelf(shop.id, "Mine", 1, "filter", filter_query="my_issues=my_issues")
    service = StorefrontService.for_user(shop.id, 99, gates=GUEST_GATES)
    service.build_shelves()
    assert cache.get(service.cache_key("custom", 1)) is None


# -- 25: a change shows on the next request ---------------------------------------------------


def test_edits_to_a_publication_and_its_prices_show_on_the_next_build(shop):
    from services import activity
    from services.catalog.prices import set_prices
    from services.catalog.publications import update_publication

    actor = activity.Actor(label="tests")
    item = b.publication(shop.id, "Before")
    b.manual_shelf(shop.id, "Picked", 1, [item])
    db.session.commit()
    first = build(shop.id).shelves[0].cards[0]
    assert (first.title, first.prices) == ("Before", [])
    update_publication(actor, shop.id, db.session.get(Publication, item.id), title="After")
    set_prices(actor, shop.id, item.id, {"USD": 1999})
    db.session.commit()
    card = build(shop.id).shelves[0].cards[0]
    assert (card.title, card.prices) == ("After", [("USD", 1999)])


def test_a_users_access_bump_updates_the_read_state_on_the_next_build(shop):
    from services.catalog import access
    from services.catalog.versions import bump_access_after_commit

    item = b.publication(shop.id, "Bought later")
    b.manual_shelf(shop.id, "Picked", 1, [item])
    db.session.commit()
    assert build(shop.id, user_id=41).shelves[0].cards[0].readable is False

    def purchase(tenant_id, user_id, candidates):  # what commerce registers for a purchase
        granted = {item.id: ("purchase", None)} if user_id == 41 else {}
        return access.Grants(publications=granted)

    access.register_provider(purchase)
    try:
        assert build(shop.id, user_id=41).shelves[0].cards[0].readable is False  # cached
        bump_access_after_commit(shop.id, 41)
        db.session.commit()
        assert build(shop.id, user_id=41).shelves[0].cards[0].readable is True
        assert build(shop.id, user_id=42).shelves[0].cards[0].readable is False
    finally:
        access.unregister(purchase)
