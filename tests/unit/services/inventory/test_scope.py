"""Base scope of listings (spec 70 §1.3, §3.3; acceptance 5, 13, 14, 15)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.extensions import db
from app.models.catalog import Publication
from app.models.storefront import CatalogEntry, PublicationShare
from services.catalog import access
from services.tenancy import platform_scope
from tests.unit.services.inventory.conftest import NOW, listing, titles


def test_own_live_items_list_and_unlisted_states_never_do(catalog, shop):
    catalog.publication(shop, "Live")
    catalog.publication(shop, "Draft", draft=True)
    catalog.publication(shop, "Scheduled", published_at=NOW + timedelta(hours=1))
    catalog.publication(shop, "Processing", status="processing")
    catalog.publication(shop, "Failed", status="failed")
    catalog.publication(shop, "Deleted", deleted_at=NOW - timedelta(days=1))
    catalog.publication(shop, "No entry", entry=False)
    disabled = catalog.publication(shop, "Disabled")
    with platform_scope("tests"):
        db.session.execute(
            update(CatalogEntry)
            .where(CatalogEntry.publication_id == disabled)
            .values(enabled=False)
        )
    assert titles(listing(shop)) == ["Live"]
    # Scheduled items show when the option is off, other states never.
    shown = listing(shop, options={"exclude_scheduled_publications": False})
    assert sorted(titles(shown)) == ["Live", "Scheduled"]


def test_shared_item_lists_for_the_target_only_while_the_share_is_active(catalog, shop, other_shop):
    shared = catalog.publication(other_shop, "Shared with shop")
    catalog.publication(other_shop, "Other shop only")
    catalog.publication(shop, "Own")
    catalog.share(other_shop, shared, shop)
    assert sorted(titles(listing(shop))) == ["Own", "Shared with shop"]
    assert sorted(titles(listing(other_shop))) == ["Other shop only", "Shared with shop"]
    with platform_scope("tests: revoke"):
        db.session.execute(update(PublicationShare).values(revoked_at=NOW))
    assert titles(listing(shop)) == ["Own"]


def test_marketplace_item_hides_everywhere_when_unlisted(catalog, shop, other_shop):
    item = catalog.publication(other_shop, "Market", marketplace_listed=True)
    catalog.add_marketplace(shop, item)
    assert titles(listing(shop)) == ["Market"]
    with platform_scope("tests: unlist"):
        db.session.execute(
            update(Publication).where(Publication.id == item).values(marketplace_listed=False)
        )
    assert titles(listing(shop)) == []
    assert titles(listing(other_shop)) == ["Market"]  # the owner keeps it


def test_cards_carry_the_listing_tenants_prices_and_terms(catalog, shop, other_shop):
    item = catalog.publication(
        other_shop,
        "Shared",
        contributors=[("Ana Autora", "author"), ("Tom Trad", "translator")],
        bisacs=["FIC000000"],
        description_html="<p>About</p>",
    )
    catalog.share(other_shop, item, shop)
    catalog.price(shop, item, "USD", 1500)
    catalog.price(other_shop, item, "USD", 999)
    genre = catalog.taxonomy(shop, "genre")
    mine = catalog.term(shop, genre, "crime", name="Crime")
    theirs = catalog.term(other_shop, catalog.taxonomy(other_shop, "genre"), "drama")
    catalog.tag(shop, item, mine)
    catalog.tag(other_shop, item, theirs)
    options = {"eager_load_terms": True, "eager_load_bisacs": True}
    [card] = listing(shop, options=options).items
    assert card.prices == [("USD", 1500)]
    assert card.terms == ["Crime"]
    assert card.bisacs == ["FIC000000"]
    assert card.contributors == [("Ana Autora", "author"), ("Tom Trad", "translator")]
    assert card.description_html == "<p>About</p>"
    assert card.source == "shared"
    plain = listing(shop, options={"eager_load_descriptions": False}).items[0]
    assert (plain.terms, plain.bisacs, plain.description_html) == ([], [], None)


def test_exclude_options_hide_what_they_name(catalog, shop, user_factory, tenant_factory):
    catalog.publication(shop, "Plain")
    catalog.publication(shop, "Adult", is_adult=True)
    catalog.publication(shop, "Physical", is_physical=True)
    catalog.publication(shop, "Free", is_free=True)
    everything = ["Adult", "Free", "Physical", "Plain"]
    assert sorted(titles(listing(shop))) == everything
    for option, hidden in (
        ("exclude_adult_content", "Adult"),
        ("exclude_physical_publications", "Physical"),
        ("exclude_free_publications", "Free"),
    ):
        shown = sorted(titles(listing(shop, options={option: True})))
        assert shown == [t for t in everything if t != hidden], option
    readable_only = {"force_only_sees_readable": True}
    assert titles(listing(shop, options=readable_only)) == []  # guests read nothing
    from app.models.tenancy import Tenant

    reader = user_factory(tenant=db.session.get(Tenant, shop)).id
    assert titles(listing(shop, user_id=reader, options=readable_only)) == ["Free"]


def test_restricted_collection_items_show_only_to_entitled_users(catalog, shop, user_factory):
    from app.models.tenancy import Tenant

    collections = catalog.taxonomy(shop, "collection", is_collection=True)
    restricted = catalog.term(shop, collections, "vault", restricted=True)
    open_term = catalog.term(shop, collections, "open")
    genre = catalog.term(shop, catalog.taxonomy(shop, "genre"), "crime", restricted=True)
    only_restricted = catalog.publication(shop, "Vault only")
    both = catalog.publication(shop, "Vault and open")
    plain_restricted_genre = catalog.publication(shop, "Restricted genre term")
    catalog.publication(shop, "Untagged")
    catalog.tag(shop, only_restricted, restricted)
    catalog.tag(shop, both, restricted, open_term)
    catalog.tag(shop, plain_restricted_genre, genre)  # not a collection: no effect
    expected_public = ["Restricted genre term", "Untagged", "Vault and open"]
    assert sorted(titles(listing(shop))) == expected_public
    entitled = user_factory(tenant=db.session.get(Tenant, shop)).id
    stranger = user_factory(tenant=db.session.get(Tenant, shop)).id

    def provider(tenant_id, user_id, candidates):
        if user_id != entitled:
            return access.Grants()
        return access.Grants(collection_terms={restricted: ("subscription", "plan-uuid")})

    access.register_provider(provider)
    try:
        assert sorted(titles(listing(shop, user_id=stranger))) == expected_public
        assert sorted(titles(listing(shop, user_id=entitled))) == sorted(
            [*expected_public, "Vault only"]
        )
        off = {"assigns_collections_scope": False}
        assert "Vault only" in titles(listing(shop, user_id=stranger, options=off))
    finally:
        access.unregister(provider)
