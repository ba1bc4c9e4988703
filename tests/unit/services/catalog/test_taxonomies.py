"""Taxonomies and terms: slug rules, reserved names, one collection taxonomy, and tagging any
publication of the tenant's catalogue with its own terms (spec 70 §1.2, §5.2)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.catalog import PublicationTerm, TaxonomyTerm
from services.catalog import publications, shares, taxonomies, versions
from services.errors import Conflict, NotFound, ValidationError
from services.tenancy import tenant_scope
from tests.unit.services.catalog.helpers import ACTOR, create


def taxonomy(tenant, slug="genre", **kwargs):
    with tenant_scope(tenant.id):
        row = taxonomies.create_taxonomy(
            ACTOR, tenant.id, name=kwargs.pop("name", slug.title()), slug=slug, **kwargs
        )
        db.session.commit()
        return row


def term(tenant, parent, name, **kwargs):
    with tenant_scope(tenant.id):
        row = taxonomies.create_term(ACTOR, tenant.id, parent.uuid, name=name, **kwargs)
        db.session.commit()
        return row


@pytest.mark.parametrize("slug", ["g", "1genre", "genre-x", "x" * 41, "q", "page", "utm_x"])
def test_bad_or_reserved_taxonomy_slugs_are_refused(publisher, slug):
    with tenant_scope(publisher.id), pytest.raises(ValidationError) as refused:
        taxonomies.create_taxonomy(ACTOR, publisher.id, name="Name", slug=slug)
    assert refused.value.field == "slug"
    assert "q" in taxonomies.RESERVED_PARAMS


def test_slugs_are_unique_per_tenant(publisher, other):
    taxonomy(publisher, "genre")
    taxonomy(other, "genre")
    with tenant_scope(publisher.id), pytest.raises(Conflict) as refused:
        taxonomies.create_taxonomy(ACTOR, publisher.id, name="Again", slug="genre")
    assert refused.value.field == "slug"


def test_one_collection_taxonomy_per_tenant_and_filter_terms_one_or_two(publisher):
    collections = taxonomy(publisher, "collections", is_collection=True)
    with tenant_scope(publisher.id):
        with pytest.raises(ValidationError) as refused:
            taxonomies.create_taxonomy(
                ACTOR, publisher.id, name="More", slug="more", is_collection=True
            )
        assert refused.value.field == "is_collection"
        with pytest.raises(ValidationError) as refused:
            taxonomies.create_taxonomy(
                ACTOR, publisher.id, name="Keys", slug="keyword", max_filter_terms=3
            )
        assert refused.value.field == "max_filter_terms"
        other_one = taxonomies.create_taxonomy(ACTOR, publisher.id, name="Keys", slug="keyword")
        with pytest.raises(ValidationError):
            taxonomies.update_taxonomy(ACTOR, publisher.id, other_one.uuid, is_collection=True)
        taxonomies.update_taxonomy(ACTOR, publisher.id, collections.uuid, is_collection=False)
        taxonomies.update_taxonomy(
            ACTOR, publisher.id, other_one.uuid, is_collection=True, max_filter_terms=2
        )
        db.session.commit()
        found = {
            t.slug: (t.is_collection, t.max_filter_terms)
            for t in taxonomies.taxonomies_with_terms(publisher.id)
        }
        assert found == {"collections": (False, 1), "keyword": (True, 2)}


def test_terms_derive_slugs_and_keep_them_unique_per_taxonomy(publisher):
    genre = taxonomy(publisher)
    first = term(publisher, genre, "Ciencia Ficción")
    assert first.slug == "ciencia-ficcion"
    with tenant_scope(publisher.id):
        with pytest.raises(Conflict):
            taxonomies.create_term(ACTOR, publisher.id, genre.uuid, name="Ciencia ficcion")
        with pytest.raises(ValidationError) as refused:
            taxonomies.create_term(ACTOR, publisher.id, genre.uuid, name="Bad", slug="-bad")
        assert refused.value.field == "slug"
        restricted = taxonomies.create_term(
            ACTOR, publisher.id, genre.uuid, name="Members", restricted=True
        )
        taxonomies.update_term(ACTOR, publisher.id, first.uuid, name="Sci-fi", slug="sci-fi")
        db.session.commit()
        [loaded] = taxonomies.taxonomies_with_terms(publisher.id)
        assert [(t.slug, t.restricted) for t in loaded.terms] == [
            ("sci-fi", False),
            ("members", True),
        ]
        taxonomies.delete_term(ACTOR, publisher.id, restricted.uuid)
        taxonomies.delete_taxonomy(ACTOR, publisher.id, genre.uuid)
        db.session.commit()
        assert taxonomies.taxonomies_with_terms(publisher.id) == []
        assert db.session.scalar(select(TaxonomyTerm)) is None


def test_set_terms_tags_owned_and_shared_items_with_the_tenants_own_terms(publisher, other):
    owner_genre, target_genre = taxonomy(publisher), taxonomy(other)
    owner_term = term(publisher, owner_genre, "Poetry")
    target_term = term(other, target_genre, "Verse")
    publication = create(publisher, "Poems", live=True)
    with tenant_scope(publisher.id):
        row = publications.owned_publication(publisher.id, publication.uuid)
        shares.share(ACTOR, publisher.id, row, other.slug)
        taxonomies.set_terms(ACTOR, publisher.id, publication.id, [owner_term.id])
        db.session.commit()
    before = versions.catalog_version(other.id)
    with tenant_scope(other.id):
        with pytest.raises(ValidationError) as refused:
            taxonomies.set_terms(ACTOR, other.id, publication.id, [owner_term.id])
        assert refused.value.field == "terms"
        taxonomies.set_terms(ACTOR, other.id, publication.id, [target_term.id])
        db.session.commit()
        assert taxonomies.terms_of(other.id, publication.id) == [target_term.id]
        # Each tenant sees only its own tags.
        assert db.session.scalars(select(PublicationTerm.term_id)).all() == [target_term.id]
    assert versions.catalog_version(other.id) != before
    with tenant_scope(publisher.id):
        assert taxonomies.terms_of(publisher.id, publication.id) == [owner_term.id]
        taxonomies.set_terms(ACTOR, publisher.id, publication.id, [])
        assert taxonomies.terms_of(publisher.id, publication.id) == []


def test_set_terms_outside_the_catalogue_is_not_found(publisher, other):
    publication = create(publisher)
    with tenant_scope(other.id), pytest.raises(NotFound):
        taxonomies.set_terms(ACTOR, other.id, publication.id, [])
