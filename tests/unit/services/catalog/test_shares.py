"""Shares, the marketplace and entry flags at the catalogue-scope level (spec 70 §1.3;
acceptance 4 and 5)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.storefront import Notification, PublicationShare
from services.catalog import publications, shares, versions
from services.catalog.scope import catalog_reads, visible_publications
from services.errors import Conflict, NotFound, ValidationError
from services.tenancy import tenant_scope
from tests.unit.services.catalog.helpers import ACTOR, create


def listed_titles(tenant_id: int) -> list[str]:
    with tenant_scope(tenant_id), catalog_reads("tests: a tenant's listing"):
        rows = db.session.execute(visible_publications(tenant_id)).all()
        return sorted(publication.title for publication, _ in rows)


def share(owner, publication, slug: str):
    with tenant_scope(owner.id):
        row = publications.owned_publication(owner.id, publication.uuid)
        made = shares.share(ACTOR, owner.id, row, slug)
        db.session.commit()
        return made


def set_listed(owner, publication, listed: bool) -> None:
    with tenant_scope(owner.id):
        row = publications.owned_publication(owner.id, publication.uuid)
        publications.update_publication(ACTOR, owner.id, row, marketplace_listed=listed)
        db.session.commit()


def test_listings_hold_only_owned_shared_and_added_items(publisher, other, make_publisher):
    third = make_publisher()
    create(publisher, "A owns this", live=True)
    create(other, "B keeps this", live=True)
    create(other, "B lists this", live=True, marketplace_listed=True)
    assert listed_titles(publisher.id) == ["A owns this"]
    assert listed_titles(third.id) == []


def test_share_lists_in_the_target_and_revoke_removes_it_at_once(publisher, other, user_factory):
    admin = user_factory(tenant=other, admin=True)
    publication = create(publisher, "Lent", live=True)
    before = versions.catalog_version(other.id)
    made = share(publisher, publication, f"  {other.slug.upper()} ")
    assert listed_titles(other.id) == ["Lent"]
    assert versions.catalog_version(other.id) != before
    with tenant_scope(other.id):
        notes = db.session.scalars(select(Notification)).all()
        assert [(n.user_id, n.kind) for n in notes] == [(admin.id, "publication_shared")]
        assert "Lent" in notes[0].title
    with tenant_scope(publisher.id):
        assert [s.target_slug for s in shares.shares_of(publisher.id, publication.id)] == [
            other.slug
        ]
    before = versions.catalog_version(other.id)
    with tenant_scope(publisher.id):
        shares.revoke(ACTOR, publisher.id, made.uuid)
        db.session.commit()
        row = db.session.scalar(select(PublicationShare))
        assert row.revoked_at is not None
    assert listed_titles(other.id) == []
    assert versions.catalog_version(other.id) != before
    # A new share after a revoke is allowed (the unique index covers active shares only).
    share(publisher, publication, other.slug)
    assert listed_titles(other.id) == ["Lent"]


@pytest.mark.parametrize("slug", ["", "no-such-store", "OWN"])
def test_unknown_slug_or_own_tenant_is_a_slug_error(publisher, slug):
    publication = create(publisher)
    target = publisher.slug if slug == "OWN" else slug
    with pytest.raises(ValidationError) as refused:
        share(publisher, publication, target)
    assert refused.value.field == "slug"
    with tenant_scope(publisher.id):
        assert db.session.scalar(select(PublicationShare)) is None


def test_sharing_twice_is_a_slug_error(publisher, other):
    publication = create(publisher)
    share(publisher, publication, other.slug)
    with pytest.raises(ValidationError) as refused:
        share(publisher, publication, other.slug)
    assert refused.value.field == "slug"


def test_only_the_owner_shares_or_revokes(publisher, other):
    publication = create(publisher)
    made = share(publisher, publication, other.slug)
    with tenant_scope(other.id), pytest.raises(NotFound):
        shares.revoke(ACTOR, other.id, made.uuid)


def test_unlisting_hides_a_marketplace_item_everywhere_and_relisting_restores_it(
    publisher, other, make_publisher
):
    third = make_publisher()
    publication = create(publisher, "Listed", live=True, marketplace_listed=True)
    for tenant in (other, third):
        with tenant_scope(tenant.id):
            shares.add_from_marketplace(ACTOR, tenant.id, publication.uuid)
            db.session.commit()
    assert listed_titles(other.id) == listed_titles(third.id) == ["Listed"]
    tokens = versions.catalog_version(other.id), versions.catalog_version(third.id)
    set_listed(publisher, publication, False)
    assert listed_titles(other.id) == listed_titles(third.id) == []
    assert listed_titles(publisher.id) == ["Listed"]  # the owner still lists its own
    assert (versions.catalog_version(other.id), versions.catalog_version(third.id)) != tokens
    set_listed(publisher, publication, True)
    assert listed_titles(other.id) == listed_titles(third.id) == ["Listed"]


def test_marketplace_add_needs_a_listed_ready_live_item_of_another_tenant(publisher, other):
    draft = create(publisher, "Draft", marketplace_listed=True)
    unlisted = create(publisher, "Unlisted", live=True)
    mine = create(other, "Mine", live=True, marketplace_listed=True)
    for publication in (draft, unlisted, mine):
        with tenant_scope(other.id), pytest.raises(NotFound):
            shares.add_from_marketplace(ACTOR, other.id, publication.uuid)
    with tenant_scope(other.id), pytest.raises(NotFound):
        shares.add_from_marketplace(ACTOR, other.id, "garbage")


def test_marketplace_add_twice_conflicts_and_remove_takes_it_out(publisher, other):
    publication = create(publisher, "Listed", live=True, marketplace_listed=True)
    with tenant_scope(other.id):
        shares.add_from_marketplace(ACTOR, other.id, publication.uuid)
        db.session.commit()
        with pytest.raises(Conflict):
            shares.add_from_marketplace(ACTOR, other.id, publication.uuid)
        shares.remove_from_marketplace(ACTOR, other.id, publication.uuid)
        db.session.commit()
        with pytest.raises(NotFound):
            shares.remove_from_marketplace(ACTOR, other.id, publication.uuid)
    assert listed_titles(other.id) == []


def test_marketplace_listing_searches_and_marks_added_items(publisher, other):
    create(publisher, "Deep Sea Atlas", live=True, marketplace_listed=True)
    added = create(publisher, "Mountain Guide", live=True, marketplace_listed=True)
    create(publisher, "Not offered", live=True)
    create(other, "Own listed", live=True, marketplace_listed=True)
    with tenant_scope(other.id):
        shares.add_from_marketplace(ACTOR, other.id, added.uuid)
        db.session.commit()
        page = shares.marketplace_listing(other.id, "", 1)
        assert sorted((i.title, i.in_catalog) for i in page.rows) == [
            ("Deep Sea Atlas", False),
            ("Mountain Guide", True),
        ]
        assert [i.title for i in shares.marketplace_listing(other.id, "sea", 1).rows] == [
            "Deep Sea Atlas"
        ]
        assert shares.marketplace_listing(other.id, "100%_", 1).total == 0


def test_entry_flags_disable_and_feature_the_tenants_own_entry(publisher, other):
    publication = create(publisher, "Lent", live=True)
    share(publisher, publication, other.slug)
    with tenant_scope(other.id):
        entry = shares.set_entry_flags(ACTOR, other.id, publication.id, is_featured=True)
        assert entry.is_featured and entry.enabled
        shares.set_entry_flags(ACTOR, other.id, publication.id, enabled=False)
        db.session.commit()
    assert listed_titles(other.id) == []
    assert listed_titles(publisher.id) == ["Lent"]
    with tenant_scope(other.id), pytest.raises(NotFound):
        shares.set_entry_flags(ACTOR, other.id, 0, enabled=True)
