"""Who may read what (spec 70 §1.3 "Access"): free items for signed-in users now, grants
from registered providers, the 500-item cap, nothing for guests."""

from __future__ import annotations

import pytest

from app.extensions import db
from services.catalog import access, publications, taxonomies
from services.tenancy import tenant_scope
from tests.unit.services.catalog.helpers import ACTOR, create

USER = 4242


@pytest.fixture
def provider():
    state: dict = {"grants": access.Grants()}

    def grants(tenant_id, user_id, candidates):
        return state["grants"] if user_id == USER else access.Grants()

    access.register_provider(grants)
    yield state
    access.unregister(grants)


def test_free_items_are_readable_by_signed_in_users_only(publisher):
    free = create(publisher, "Free", live=True, is_free=True)
    paid = create(publisher, "Paid", live=True)
    with tenant_scope(publisher.id):
        row = publications.owned_publication(publisher.id, free.uuid)
        assert access.read_access(publisher.id, USER, row) == ("free_issue", None)
        assert access.read_access(publisher.id, None, row) is None
        assert access.readable_ids(publisher.id, USER) == {free.id}
        assert access.readable_ids(publisher.id, USER, [paid.id]) == set()
        assert access.readable_ids(publisher.id, None) == set()
        paid_row = publications.owned_publication(publisher.id, paid.uuid)
        assert access.read_access(publisher.id, USER, paid_row) is None
        assert access.owned_ids(publisher.id, USER) == set()
        assert access.entitled_collection_term_ids(publisher.id, USER) == set()


def test_provider_grants_direct_whole_catalogue_and_collections(publisher, other, provider):
    bought = create(publisher, "Bought", live=True)
    tagged = create(publisher, "Tagged", live=True)
    elsewhere = create(other, "Another store's", live=True)
    with tenant_scope(publisher.id):
        collections = taxonomies.create_taxonomy(
            ACTOR, publisher.id, name="Collections", slug="collections", is_collection=True
        )
        gold = taxonomies.create_term(ACTOR, publisher.id, collections.uuid, name="Gold")
        taxonomies.set_terms(ACTOR, publisher.id, tagged.id, [gold.id])
        db.session.commit()
        provider["grants"] = access.Grants(
            publications={bought.id: ("purchase", "line-1"), elsewhere.id: ("purchase", "x")}
        )
        row = publications.owned_publication(publisher.id, bought.uuid)
        assert access.read_access(publisher.id, USER, row) == ("purchase", "line-1")
        # A grant counts only inside the tenant's catalogue.
        assert access.owned_ids(publisher.id, USER) == {bought.id}
        provider["grants"] = access.Grants(collection_terms={gold.id: ("subscription", "plan")})
        assert access.readable_ids(publisher.id, USER) == {tagged.id}
        assert access.entitled_collection_term_ids(publisher.id, USER) == {gold.id}
        provider["grants"] = access.Grants(all_catalog=("subscription", "all"))
        assert access.readable_ids(publisher.id, USER) == {bought.id, tagged.id}
        assert access.readable_ids(publisher.id, USER + 1) == set()


def test_the_readable_set_is_cut_to_the_newest_while_capped(publisher, provider, monkeypatch):
    items = [create(publisher, f"Issue {n}", live=True, is_free=True) for n in range(3)]
    monkeypatch.setattr(access.platform, "readable_issues_cap", lambda: 2)
    with tenant_scope(publisher.id):
        # Publications are live at the same moment; ties go to the newest row.
        capped = access.readable_ids(publisher.id, USER)
        assert capped == {items[1].id, items[2].id}
        row = publications.owned_publication(publisher.id, items[0].uuid)
        assert access.read_access(publisher.id, USER, row) is None
    monkeypatch.setattr(access.platform, "readable_issues_cap", lambda: None)
    with tenant_scope(publisher.id):
        assert access.readable_ids(publisher.id, USER) == {item.id for item in items}
