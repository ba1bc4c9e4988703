"""Contributors (reused case-insensitively per owner tenant, roles, order) and BISAC codes
(at most three, format, headings) of owned publications (spec 70 §1.2)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.catalog import BisacSubject, Contributor
from services.catalog import bisac, contributors, publications, versions
from services.errors import NotFound, ValidationError
from services.tenancy import tenant_scope
from tests.unit.services.catalog.helpers import ACTOR, create


def owned(tenant, publication):
    return publications.owned_publication(tenant.id, publication.uuid)


def test_contributors_are_reused_case_insensitively_in_order(publisher, other):
    first, second = create(publisher, "One"), create(publisher, "Two")
    create(other, "Elsewhere")
    with tenant_scope(publisher.id):
        contributors.set_contributors(
            ACTOR,
            publisher.id,
            owned(publisher, first),
            [("Ada Lovelace", "author"), (" ", "editor"), ("Mary Shelley", "translator")],
        )
        contributors.set_contributors(
            ACTOR,
            publisher.id,
            owned(publisher, second),
            [("MARY SHELLEY", "narrator"), ("ada lovelace", "author"), ("Ada Lovelace", "author")],
        )
        db.session.commit()
        assert contributors.credits_of(first.id) == [
            ("Ada Lovelace", "author"),
            ("Mary Shelley", "translator"),
        ]
        assert contributors.credits_of(second.id) == [
            ("Mary Shelley", "narrator"),
            ("Ada Lovelace", "author"),
        ]
        rows = db.session.execute(select(Contributor.name, Contributor.sort_name)).all()
        assert sorted(rows) == [
            ("Ada Lovelace", "Lovelace, Ada"),
            ("Mary Shelley", "Shelley, Mary"),
        ]
        assert contributors.suggest(publisher.id, "ma") == ["Mary Shelley"]
    with tenant_scope(other.id):
        contributors.set_contributors(
            ACTOR, other.id, owned(other, create(other, "Third")), [("Ada Lovelace", "author")]
        )
        # Contributors belong to their tenant: the other tenant gets its own row.
        assert db.session.scalar(select(func.count(Contributor.id))) == 1


def test_bad_roles_change_nothing_and_editing_bumps_the_version(publisher):
    publication = create(publisher)
    with tenant_scope(publisher.id):
        with pytest.raises(ValidationError) as refused:
            contributors.set_contributors(
                ACTOR, publisher.id, owned(publisher, publication), [("X", "ghostwriter")]
            )
        assert refused.value.field == "contributors-0-role"
        assert contributors.credits_of(publication.id) == []
        before = versions.catalog_version(publisher.id)
        contributors.set_contributors(
            ACTOR, publisher.id, owned(publisher, publication), [("Zoe", "illustrator")]
        )
        db.session.commit()
    assert versions.catalog_version(publisher.id) != before


def test_only_the_owner_credits(publisher, other):
    publication = create(publisher)
    with tenant_scope(publisher.id):
        row = owned(publisher, publication)
    with tenant_scope(other.id), pytest.raises(NotFound):
        contributors.set_contributors(ACTOR, other.id, row, [("X", "author")])


def test_bisac_codes_keep_order_and_at_most_three(publisher):
    publication = create(publisher)
    with tenant_scope(publisher.id):
        bisac.set_bisacs(publisher.id, owned(publisher, publication), ["fic000000", "ART000000"])
        db.session.commit()
        assert bisac.codes_of(publication.id) == ["FIC000000", "ART000000"]
        for codes in (
            ["FIC00000"],
            ["FICTION01"],
            ["ART000000", "BIO000000", "BUS000000", "CKB000000"],
        ):
            with pytest.raises(ValidationError) as refused:
                bisac.set_bisacs(publisher.id, owned(publisher, publication), codes)
            assert refused.value.field == "bisac"
        assert bisac.codes_of(publication.id) == ["FIC000000", "ART000000"]
        bisac.set_bisacs(publisher.id, owned(publisher, publication), [])
        assert bisac.codes_of(publication.id) == []


def test_headings_come_from_the_reference_list(ctx):
    db.session.add(BisacSubject(code="ZZZ123456", heading="TESTING / Headings"))
    db.session.flush()
    assert bisac.headings(["zzz123456", "QQQ000000"]) == {"ZZZ123456": "TESTING / Headings"}
    assert ("ZZZ123456", "TESTING / Headings") in bisac.search_subjects("zzz1")
    assert ("ZZZ123456", "TESTING / Headings") in bisac.search_subjects("headings")
    assert bisac.search_subjects("") == []
