"""Publication writes: the owned entry, the `issues_limit` quota, validation, versions and soft
delete (spec 70 §1.1, §1.3; acceptance 1, 2, 25)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity
from app.models.catalog import Publication, PublicationPrice
from app.models.storefront import CatalogEntry, PublicationShare
from services.catalog import access, prices, publications, shares, versions
from services.errors import InvalidState, NotFound, ValidationError
from services.tenancy import tenant_scope
from tests.unit.services.catalog.helpers import ACTOR, PAST, create

PDF = b"%PDF-1.7\n" + b"0" * 2000


def entries_of(publication_id: int) -> list[tuple[int, str]]:
    from services.catalog.scope import catalog_reads

    with catalog_reads("tests: every entry of a publication"):
        return sorted(
            db.session.execute(
                select(CatalogEntry.tenant_id, CatalogEntry.source).where(
                    CatalogEntry.publication_id == publication_id
                )
            ).all()
        )


# -- create --------------------------------------------------------------------------------------


def test_create_adds_the_owned_entry_in_the_same_transaction(publisher):
    with tenant_scope(publisher.id):
        publication = publications.create_publication(
            ACTOR, publisher.id, title="  Ocean\x07 notes ", file_type="pdf", language="ES"
        )
        # Before any commit, the entry exists next to the publication.
        assert entries_of(publication.id) == [(publisher.id, "owned")]
        assert (publication.title, publication.language, publication.status) == (
            "Ocean notes",
            "es",
            "uploaded",
        )
        actions = db.session.scalars(
            select(Activity.action).where(Activity.subject_id == str(publication.uuid))
        ).all()
        assert actions == ["publication.create"]
        db.session.rollback()
        assert db.session.scalar(select(func.count(CatalogEntry.id))) == 0
        assert publications.count_owned(publisher.id) == 0


def test_create_bumps_the_catalogue_version_after_commit(publisher):
    before = versions.catalog_version(publisher.id)
    with tenant_scope(publisher.id):
        publications.create_publication(
            ACTOR, publisher.id, title="T", file_type="pdf", language="en"
        )
        assert versions.catalog_version(publisher.id) == before  # not before the commit
        db.session.commit()
    assert versions.catalog_version(publisher.id) != before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "   "),
        ("title", "x" * 301),
        ("language", "xx"),
        ("file_type", "doc"),
        ("audience", "everyone"),
        ("published_at", datetime(2024, 1, 1)),
        ("page_count", -1),
        ("edition_prefix", "LT XML"),
    ],
)
def test_invalid_create_changes_nothing(publisher, field, value):
    values = {"title": "Good", "file_type": "pdf", "language": "en", field: value}
    with tenant_scope(publisher.id), pytest.raises(ValidationError) as refused:
        publications.create_publication(ACTOR, publisher.id, **values)
    assert refused.value.field in (field, "file")
    with tenant_scope(publisher.id):
        assert publications.count_owned(publisher.id) == 0
        assert (
            db.session.scalar(
                select(func.count(Activity.id)).where(Activity.action == "publication.create")
            )
            == 0
        )
        assert db.session.scalar(select(func.count(CatalogEntry.id))) == 0


# -- update ----------------------------------------------------------------------------------------


def test_update_cleans_fields_and_records_the_diff(publisher):
    publication = create(publisher, "Before")
    with tenant_scope(publisher.id):
        publication = publications.owned_publication(publisher.id, publication.uuid)
        publications.update_publication(
            ACTOR,
            publisher.id,
            publication,
            title=" After\x00 ",
            description_html='<p onclick="x()">Hi <script>bad()</script>'
            '<a href="javascript:x">a</a><a href="https://example.com">b</a></p>',
            audience="children",
            published_at=PAST,
        )
        db.session.commit()
        row = publications.owned_publication(publisher.id, publication.uuid)
        assert row.title == "After"
        assert row.description_html == (
            '<p>Hi <a rel="noopener noreferrer">a</a>'
            '<a href="https://example.com" rel="noopener noreferrer">b</a></p>'
        )
        assert row.published_at == PAST and row.audience == "children"
        change = db.session.scalar(select(Activity).where(Activity.action == "publication.update"))
        assert change.before["title"] == "Before" and change.after["title"] == "After"


def test_a_description_too_long_after_sanitising_is_refused(publisher):
    publication = create(publisher)
    with tenant_scope(publisher.id):
        publication = publications.owned_publication(publisher.id, publication.uuid)
        with pytest.raises(ValidationError) as refused:
            publications.update_publication(
                ACTOR, publisher.id, publication, description_html="<p>" + "a" * 20_000 + "</p>"
            )
        assert refused.value.field == "description_html"
        # Mostly stripped markup is measured after sanitising, so it passes.
        publications.update_publication(
            ACTOR, publisher.id, publication, description_html="<span>" * 5000 + "ok"
        )


def test_a_failed_update_changes_nothing(publisher):
    publication = create(publisher, "Kept")
    with tenant_scope(publisher.id):
        publication = publications.owned_publication(publisher.id, publication.uuid)
        with pytest.raises(ValidationError):
            publications.update_publication(
                ACTOR, publisher.id, publication, title="Changed", language="zz"
            )
        assert publication.title == "Kept"
        db.session.commit()
        assert publications.owned_publication(publisher.id, publication.uuid).title == "Kept"
        assert (
            db.session.scalar(
                select(func.count(Activity.id)).where(Activity.action == "publication.update")
            )
            == 0
        )


def test_editing_bumps_every_holder_after_commit(publisher, other):
    publication = create(publisher, "Shared one", live=True)
    with tenant_scope(publisher.id):
        row = publications.owned_publication(publisher.id, publication.uuid)
        shares.share(ACTOR, publisher.id, row, other.slug)
        db.session.commit()
    tokens = versions.catalog_version(publisher.id), versions.catalog_version(other.id)
    with tenant_scope(publisher.id):
        row = publications.owned_publication(publisher.id, publication.uuid)
        returned = publications.update_publication(ACTOR, publisher.id, row, title="Renamed")
        returned.is_adult = True  # still attached: a later change in the view is kept
        db.session.commit()
        assert publications.owned_publication(publisher.id, publication.uuid).is_adult is True
    assert versions.catalog_version(publisher.id) != tokens[0]
    assert versions.catalog_version(other.id) != tokens[1]


def test_making_a_publication_free_removes_its_prices(publisher):
    publication = create(publisher)
    with tenant_scope(publisher.id):
        prices.set_prices(ACTOR, publisher.id, publication.id, {"USD": 500})
        row = publications.owned_publication(publisher.id, publication.uuid)
        publications.update_publication(ACTOR, publisher.id, row, is_free=True)
        db.session.commit()
        assert db.session.scalar(select(func.count(PublicationPrice.id))) == 0


def test_owner_only_lookup_is_not_found_for_other_tenants(publisher, other):
    publication = create(publisher)
    with tenant_scope(other.id), pytest.raises(NotFound):
        publications.owned_publication(other.id, publication.uuid)
    with tenant_scope(publisher.id), pytest.raises(NotFound):
        publications.owned_publication(publisher.id, "not-a-uuid")


# -- delete ----------------------------------------------------------------------------------------


def test_delete_removes_every_entry_and_share_and_bumps_holders(publisher, other, make_publisher):
    third = make_publisher()
    publication = create(publisher, "Going", live=True, marketplace_listed=True)
    with tenant_scope(publisher.id):
        row = publications.owned_publication(publisher.id, publication.uuid)
        shares.share(ACTOR, publisher.id, row, other.slug)
        db.session.commit()
    with tenant_scope(third.id):
        shares.add_from_marketplace(ACTOR, third.id, publication.uuid)
        db.session.commit()
    assert len(entries_of(publication.id)) == 3
    tokens = [versions.catalog_version(t.id) for t in (publisher, other, third)]
    with tenant_scope(publisher.id):
        row = publications.owned_publication(publisher.id, publication.uuid)
        publications.delete_publication(ACTOR, publisher.id, row)
        db.session.commit()
        assert db.session.scalar(select(func.count(PublicationShare.id))) == 0
        with pytest.raises(NotFound):
            publications.owned_publication(publisher.id, publication.uuid)
        assert db.session.get(Publication, publication.id).deleted_at is not None
    assert entries_of(publication.id) == []
    assert all(
        versions.catalog_version(t.id) != token
        for t, token in zip((publisher, other, third), tokens, strict=True)
    )


def test_delete_is_refused_while_a_line_grants_access(publisher):
    publication = create(publisher, "Sold")
    granted = {publication.id}

    def sold(publication_id: int) -> bool:
        return publication_id in granted

    access.register_direct_grant_check(sold)
    try:
        with tenant_scope(publisher.id):
            row = publications.owned_publication(publisher.id, publication.uuid)
            with pytest.raises(InvalidState):
                publications.delete_publication(ACTOR, publisher.id, row)
            assert row.deleted_at is None
            assert entries_of(publication.id) == [(publisher.id, "owned")]
    finally:
        access.unregister(sold)


def test_one_edit_request_saves_every_part_on_the_same_object(publisher):
    """The edit page's sequence in one transaction: each step may detach the session's
    objects (catalogue reads), and none of the changes may be lost."""
    from services.catalog import bisac, contributors, taxonomies

    publication = create(publisher, "Edited")
    with tenant_scope(publisher.id):
        genre = taxonomies.create_taxonomy(ACTOR, publisher.id, name="Genre", slug="genre")
        poetry = taxonomies.create_term(ACTOR, publisher.id, genre.uuid, name="Poetry")
        db.session.commit()
        row = publications.owned_publication(publisher.id, publication.uuid)
        row = publications.update_publication(ACTOR, publisher.id, row, title="Edited twice")
        prices.set_prices(ACTOR, publisher.id, row.id, {"USD": 1200})
        contributors.set_contributors(ACTOR, publisher.id, row, [("Ana Gómez", "author")])
        bisac.set_bisacs(publisher.id, row, ["POE000000"], actor=ACTOR)
        taxonomies.set_terms(ACTOR, publisher.id, row.id, [poetry.id])
        row = publications.update_publication(ACTOR, publisher.id, row, is_adult=True)
        db.session.commit()
        saved = publications.owned_publication(publisher.id, publication.uuid)
        assert (saved.title, saved.is_adult) == ("Edited twice", True)
        assert [(c.contributor.name, c.role) for c in saved.contributor_links] == [
            ("Ana Gómez", "author")
        ]
        assert [b.code for b in saved.bisac_links] == ["POE000000"]
        assert prices.prices_for(publisher.id, [saved.id]) == {saved.id: [("USD", 1200)]}
        assert taxonomies.terms_of(publisher.id, saved.id) == [poetry.id]
