"""The shelves page: create, edit, hand-pick, reorder, delete shelves and the display mode;
each change bumps the catalogue version (spec 70 §4.3, §4.4, §6)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.storefront import StorefrontShelf
from services.catalog import taxonomies, versions
from services.storefront import admin as shelf_admin
from services.storefront.settings import storefront_settings
from services.tenancy.context import tenant_scope
from tests.functional.conftest import text
from tests.functional.dashboard.publications.conftest import ACTOR, HTMX
from tests.support.htmx import location_path

URL = "/dashboard/publications/shelves"


def shelves(app, tenant_id: int) -> list[StorefrontShelf]:
    with app.app_context(), tenant_scope(tenant_id):
        return shelf_admin.shelves(tenant_id)


def new_shelf(client, token, **fields) -> dict:
    data = {"new-csrf_token": token, "new-style": "carousel", "new-max_items": "12"}
    data.update({f"new-{k}": v for k, v in fields.items()})
    return client.post(URL, data=data)


def catalog_version(app, tenant_id: int) -> str:
    with app.app_context():
        return versions.catalog_version(tenant_id)


def test_page_and_fragment(admin):
    page = admin.get(URL)
    assert page.status_code == 200 and "No shelves yet" in text(page)
    assert 'id="store-preview"' in text(page)
    fragment = admin.get(URL, headers=HTMX)
    assert text(fragment).startswith('<div id="shelves">')


def test_create_shelves_of_each_kind_and_reorder(app, admin, alpha, add_publication):
    with app.app_context(), tenant_scope(alpha.id):
        taxonomy = taxonomies.create_taxonomy(ACTOR, alpha.id, name="Genre", slug="genre")
        term = taxonomies.create_term(ACTOR, alpha.id, taxonomy.uuid, name="Maps")
        db.session.commit()
        term_id = term.id
    token = admin.csrf(URL)
    before = catalog_version(app, alpha.id)
    created = new_shelf(admin, token, title="Maps", kind="term", term_id=str(term_id), enabled="y")
    assert created.status_code == 303
    assert catalog_version(app, alpha.id) != before
    link = "https://alpha.localhost/library/filter?file_type=pdf&page=2"
    assert (
        new_shelf(admin, token, title="PDFs", kind="filter", filter_query=link).status_code == 303
    )
    assert new_shelf(admin, token, title="Picks", kind="manual", enabled="y").status_code == 303
    maps, pdfs, picks = shelves(app, alpha.id)
    assert (maps.kind, maps.term_id) == ("term", term_id)
    assert (pdfs.filter_query, pdfs.enabled) == ("file_type=pdf&page=2", False)
    page = text(admin.get(URL))
    assert page.count(">Move up<") == 2 and page.count(">Move down<") == 2
    order = [str(picks.uuid), str(maps.uuid), str(pdfs.uuid)]
    moved = admin.post(
        f"{URL}/order", data={"shelf-csrf_token": token, "order": order}, headers=HTMX
    )
    assert moved.status_code == 200 and location_path(moved) == URL
    assert [s.title for s in shelves(app, alpha.id)] == ["Picks", "Maps", "PDFs"]
    publication_id, _ = add_publication(alpha, "Picked Atlas")
    picked = admin.post(
        f"{URL}/{picks.uuid}/items",
        data={f"i{picks.id}-csrf_token": token, f"i{picks.id}-items": str(publication_id)},
    )
    assert picked.status_code == 303
    with app.app_context(), tenant_scope(alpha.id):
        assert shelf_admin.item_ids(picks.id) == [publication_id]


def test_refusals_are_422(app, admin, alpha, beta, add_publication):
    token = admin.csrf(URL)
    missing_term = new_shelf(admin, token, title="Maps", kind="term")
    assert missing_term.status_code == 422 and "Choose one of your terms." in text(missing_term)
    no_link = new_shelf(admin, token, title="PDFs", kind="filter")
    assert no_link.status_code == 422 and "needs its filter link" in text(no_link)
    assert new_shelf(admin, token, title="Picks", kind="manual").status_code == 303
    [picks] = shelves(app, alpha.id)
    foreign_id, _ = add_publication(beta, "Not Yours")
    foreign = admin.post(
        f"{URL}/{picks.uuid}/items",
        data={f"i{picks.id}-csrf_token": token, f"i{picks.id}-items": str(foreign_id)},
        headers=HTMX,
    )
    assert foreign.status_code == 422 and text(foreign).startswith('<div id="shelves">')


def test_edit_and_delete_a_shelf(app, admin, alpha):
    token = admin.csrf(URL)
    new_shelf(admin, token, title="Picks", kind="manual", enabled="y")
    [shelf] = shelves(app, alpha.id)
    p = f"s{shelf.id}"
    edited = admin.post(
        f"{URL}/{shelf.uuid}/edit",
        data={
            f"{p}-csrf_token": token,
            f"{p}-title": "Staff picks",
            f"{p}-kind": "manual",
            f"{p}-style": "grid",
            f"{p}-max_items": "6",
        },
    )
    assert edited.status_code == 303
    [shelf] = shelves(app, alpha.id)
    assert (shelf.title, shelf.style, shelf.max_items, shelf.enabled) == (
        "Staff picks",
        "grid",
        6,
        False,
    )
    deleted = admin.post(f"{URL}/{shelf.uuid}/delete", data={"shelf-csrf_token": token})
    assert deleted.status_code == 303 and shelves(app, alpha.id) == []


def test_display_mode(app, admin, alpha):
    token = admin.csrf(URL)
    saved = admin.post(
        f"{URL}/settings",
        data={"csrf_token": token, "display_mode": "collections", "hide_adult_content": "y"},
    )
    assert saved.status_code == 303
    with app.app_context(), tenant_scope(alpha.id):
        assert storefront_settings(alpha.id) == ("collections", True)
    assert '<option selected value="collections">' in text(admin.get(URL))


def test_other_stores_shelf_is_404(app, admin, beta):
    with app.app_context(), tenant_scope(beta.id):
        shelf = shelf_admin.create_shelf(
            ACTOR, beta.id, title="B", kind="manual", style="grid", max_items=3
        )
        db.session.commit()
        key = shelf.uuid
    token = admin.csrf(URL)
    assert admin.post(f"{URL}/{key}/delete", data={"shelf-csrf_token": token}).status_code == 404
    assert select(StorefrontShelf) is not None
