"""The `issues_limit` quota on publications (spec 70 §1.3; acceptance 2): the limit, deleted
items freeing a slot, unlimited, no grant, and shared or marketplace entries not counting."""

from __future__ import annotations

import io

import pytest

from app.extensions import db
from services import uploads
from services.catalog import publications, shares
from services.errors import QuotaExceeded
from services.tenancy import tenant_scope
from tests.unit.services.catalog.helpers import ACTOR, create

PDF = b"%PDF-1.7\n" + b"0" * 2000


def upload(tenant, name: str = "issue.pdf", data: bytes = PDF):
    with tenant_scope(tenant.id):
        return uploads.upload_publication(
            ACTOR, tenant, io.BytesIO(data), name, language="en", created_by_user_id=None
        )


# -- the issues_limit quota (acceptance 2) -------------------------------------------------------


def test_third_upload_at_limit_two_is_refused_and_nothing_is_stored(make_publisher, storage_root):
    tenant = make_publisher(issues_limit="2")
    upload(tenant, "one.pdf")
    upload(tenant, "two.pdf")
    with tenant_scope(tenant.id):
        db.session.commit()
    stored = sorted(p.name for p in storage_root.rglob("*") if p.is_file())
    assert stored == ["source.pdf", "source.pdf"]
    with pytest.raises(QuotaExceeded) as refused:
        upload(tenant, "three.pdf")
    assert refused.value.field == "file"
    assert refused.value.message == "Your platform plan allows up to 2 publications; 2 in use."
    with tenant_scope(tenant.id):
        db.session.rollback()
        assert publications.count_owned(tenant.id) == 2
    assert sorted(p.name for p in storage_root.rglob("*") if p.is_file()) == stored


def test_a_deleted_publication_frees_a_slot(make_publisher):
    tenant = make_publisher(issues_limit="2")
    first = create(tenant, "One")
    create(tenant, "Two")
    with tenant_scope(tenant.id):
        publications.delete_publication(
            ACTOR, tenant.id, publications.owned_publication(tenant.id, first.uuid)
        )
        db.session.commit()
    create(tenant, "Three")
    with tenant_scope(tenant.id):
        assert publications.count_owned(tenant.id) == 2


def test_unlimited_never_refuses(make_publisher):
    tenant = make_publisher(issues_limit="unlimited")
    for n in range(4):
        create(tenant, f"Issue {n}")
    with tenant_scope(tenant.id):
        assert publications.count_owned(tenant.id) == 4


def test_no_grant_refuses_the_first_upload(make_publisher):
    tenant = make_publisher(issues_limit=None)
    with pytest.raises(QuotaExceeded) as refused:
        create(tenant, "First")
    assert refused.value.message == "Not included in your platform plan."


def test_shared_and_marketplace_entries_do_not_count(make_publisher):
    owner, reader_store = make_publisher(), make_publisher(issues_limit="1")
    lent = create(owner, "Lent", live=True)
    listed = create(owner, "Listed", live=True, marketplace_listed=True)
    with tenant_scope(owner.id):
        shares.share(
            ACTOR, owner.id, publications.owned_publication(owner.id, lent.uuid), reader_store.slug
        )
        db.session.commit()
    with tenant_scope(reader_store.id):
        shares.add_from_marketplace(ACTOR, reader_store.id, listed.uuid)
        db.session.commit()
        assert publications.count_owned(reader_store.id) == 0
    create(reader_store, "Its own first")  # the limit of one still allows it
