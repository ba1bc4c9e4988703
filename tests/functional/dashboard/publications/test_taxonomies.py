"""Taxonomies and terms in the control panel: CRUD, collection flag, restricted terms,
max_filter_terms, refusals as 422, and the term filter of the table (spec 70 §1.2, §6)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Taxonomy, TaxonomyTerm
from services.catalog import taxonomies
from services.tenancy.context import tenant_scope
from tests.functional.conftest import text
from tests.functional.dashboard.publications.conftest import ACTOR, HTMX
from tests.support.htmx import location_path

URL = "/dashboard/publications/taxonomies"


def rows(app, tenant_id: int, model):
    with app.app_context(), tenant_scope(tenant_id):
        return list(db.session.scalars(select(model).order_by(model.id)))


def test_page_and_fragment(admin):
    page = admin.get(URL)
    assert page.status_code == 200 and "No taxonomies yet." in text(page)
    fragment = admin.get(URL, headers=HTMX)
    assert text(fragment).startswith('<div id="taxonomies">')


def test_create_edit_and_delete_a_taxonomy_and_its_terms(app, admin, alpha):
    token = admin.csrf(URL)
    created = admin.post(
        URL,
        data={
            "new-csrf_token": token,
            "new-name": "Collections",
            "new-slug": "collection",
            "new-is_collection": "y",
            "new-max_filter_terms": "2",
        },
    )
    assert created.status_code == 303
    [taxonomy] = rows(app, alpha.id, Taxonomy)
    assert (taxonomy.slug, taxonomy.is_collection, taxonomy.max_filter_terms) == (
        "collection",
        True,
        2,
    )
    prefix = f"newterm{taxonomy.id}"
    term_url = f"{URL}/{taxonomy.uuid}/terms"
    data = {f"{prefix}-csrf_token": token, f"{prefix}-name": "Kids Club", f"{prefix}-slug": ""}
    data[f"{prefix}-restricted"] = "y"
    added = admin.post(term_url, data=data, headers=HTMX)
    assert added.status_code == 200 and location_path(added) == URL
    [term] = rows(app, alpha.id, TaxonomyTerm)
    assert (term.name, term.slug, term.restricted) == ("Kids Club", "kids-club", True)
    page = text(admin.get(URL))
    assert "Kids Club" in page and "Collections" in page and "hx-confirm=" in page
    edited = admin.post(
        f"/dashboard/publications/terms/{term.uuid}/edit",
        data={
            f"term{term.id}-csrf_token": token,
            f"term{term.id}-name": "Kids",
            f"term{term.id}-slug": "kids",
        },
    )
    assert edited.status_code == 303
    [term] = rows(app, alpha.id, TaxonomyTerm)
    assert (term.name, term.slug, term.restricted) == ("Kids", "kids", False)
    renamed = admin.post(
        f"{URL}/{taxonomy.uuid}/edit",
        data={
            f"t{taxonomy.id}-csrf_token": token,
            f"t{taxonomy.id}-name": "Clubs",
            f"t{taxonomy.id}-slug": "clubs",
            f"t{taxonomy.id}-max_filter_terms": "1",
        },
    )
    assert renamed.status_code == 303
    [taxonomy] = rows(app, alpha.id, Taxonomy)
    assert (taxonomy.name, taxonomy.is_collection, taxonomy.max_filter_terms) == ("Clubs", False, 1)
    gone = admin.post(
        f"/dashboard/publications/terms/{term.uuid}/delete", data={"tax-csrf_token": token}
    )
    assert gone.status_code == 303 and rows(app, alpha.id, TaxonomyTerm) == []
    gone = admin.post(f"{URL}/{taxonomy.uuid}/delete", data={"tax-csrf_token": token})
    assert gone.status_code == 303 and rows(app, alpha.id, Taxonomy) == []


def test_refusals_rerender_with_422(app, admin, alpha):
    token = admin.csrf(URL)
    bad = admin.post(
        URL,
        data={"new-csrf_token": token, "new-name": "Genre", "new-slug": "Bad Slug"},
        headers=HTMX,
    )
    assert bad.status_code == 422
    assert text(bad).startswith('<div id="taxonomies">')
    assert "2–40 lower-case letters" in text(bad) and 'value="Genre"' in text(bad)
    reserved = admin.post(URL, data={"new-csrf_token": token, "new-name": "P", "new-slug": "page"})
    assert reserved.status_code == 422
    assert "reserved by the storefront" in text(reserved)
    assert rows(app, alpha.id, Taxonomy) == []
    with app.app_context(), tenant_scope(alpha.id):
        taxonomies.create_taxonomy(ACTOR, alpha.id, name="Genre", slug="genre")
        db.session.commit()
    duplicate = admin.post(
        URL, data={"new-csrf_token": token, "new-name": "G", "new-slug": "genre"}
    )
    assert duplicate.status_code == 422
    assert "Another taxonomy has that name in URLs." in text(duplicate)


def test_other_stores_taxonomy_is_404(app, admin, beta):
    with app.app_context(), tenant_scope(beta.id):
        taxonomy = taxonomies.create_taxonomy(ACTOR, beta.id, name="Genre", slug="genre")
        db.session.commit()
        key = taxonomy.uuid
    token = admin.csrf(URL)
    assert admin.post(f"{URL}/{key}/delete", data={"tax-csrf_token": token}).status_code == 404


def test_term_filter_of_the_table(app, admin, alpha, add_publication):
    with app.app_context(), tenant_scope(alpha.id):
        taxonomy = taxonomies.create_taxonomy(ACTOR, alpha.id, name="Genre", slug="genre")
        term = taxonomies.create_term(ACTOR, alpha.id, taxonomy.uuid, name="Maps")
        db.session.commit()
        term_id = term.id
    tagged_id, _ = add_publication(alpha, "Tagged Atlas")
    add_publication(alpha, "Plain Atlas")
    with app.app_context(), tenant_scope(alpha.id):
        taxonomies.set_terms(ACTOR, alpha.id, tagged_id, [term_id])
        db.session.commit()
    fragment = text(admin.get(f"/dashboard/publications?term={term_id}", headers=HTMX))
    assert "Tagged Atlas" in fragment and "Plain Atlas" not in fragment
    assert f'<option value="{term_id}">Maps</option>' in text(admin.get("/dashboard/publications"))
