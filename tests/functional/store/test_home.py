"""GET /: shelves of the display mode, five a page, "More shelves" appending the next page."""

from __future__ import annotations

from app.extensions import db
from tests.functional.conftest import text
from tests.functional.store.conftest import HX
from tests.unit.services.storefront import builders as b


def test_a_store_without_publications_says_so(visitor):
    response = visitor().get("/")
    assert response.status_code == 200
    assert "Nothing is on sale here yet" in text(response)


def test_home_page_lists_shelves_and_offers_more(visitor, stock):
    with stock() as tenant_id:
        for number in range(1, 8):
            item = b.publication(tenant_id, f"Title {number}")
            b.manual_shelf(tenant_id, f"Shelf {number}", number, [item])
    response = visitor().get("/")
    page = text(response)
    assert response.status_code == 200 and "<html" in page
    assert "HX-Request" in response.headers["Vary"]
    assert all(f"Shelf {n}" in page for n in range(1, 6)) and "Shelf 6" not in page
    assert 'id="shelves"' in page
    assert 'hx-get="/?page=2" hx-target="#shelves" hx-swap="beforeend"' in page
    assert 'href="/?page=2"' in page  # works without JavaScript


def test_more_shelves_over_htmx_is_the_next_page_fragment(visitor, stock):
    with stock() as tenant_id:
        for number in range(1, 8):
            item = b.publication(tenant_id, f"Title {number}")
            b.manual_shelf(tenant_id, f"Shelf {number}", number, [item])
    response = visitor().get("/?page=2", headers=HX)
    fragment = text(response)
    assert response.status_code == 200
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<div class="shelf-page" id="shelf-page-2">')
    assert "Shelf 6" in fragment and "Shelf 7" in fragment and "Shelf 5" not in fragment
    assert "More shelves" not in fragment


def test_garbage_page_numbers_answer_the_first_page(visitor, stock):
    with stock() as tenant_id:
        b.manual_shelf(tenant_id, "Only", 1, [b.publication(tenant_id, "One")])
    for query in ("?page=abc", "?page=-3", "?page=99999999999999999999", "?page=0"):
        response = visitor().get("/" + query)
        assert response.status_code == 200, query


def test_display_mode_comes_from_the_storefront_settings(visitor, stock):
    from datetime import UTC, datetime

    with stock() as tenant_id:
        b.settings(tenant_id, display_mode="latest")
        b.publication(tenant_id, "Spring", published_at=datetime(2024, 4, 3, tzinfo=UTC))
    page = text(visitor().get("/"))
    assert "April 2024" in page and "/library/filter?month=2024-04" in page


def test_hidden_adult_content_follows_the_setting(visitor, stock):
    with stock() as tenant_id:
        b.settings(tenant_id, hide_adult_content=True)
        items = [
            b.publication(tenant_id, "Grown-up", is_adult=True),
            b.publication(tenant_id, "Kids"),
        ]
        b.manual_shelf(tenant_id, "Picked", 1, items)
    page = text(visitor().get("/"))
    assert "Kids" in page and "Grown-up" not in page


def test_physical_editions_show_only_with_the_physical_goods_feature(app, visitor, stock, shop):
    from app.models.tenancy import Tenant
    from services import activity
    from services.features import definitions, grants
    from tests.functional.conftest import in_platform

    with stock() as tenant_id:
        items = [
            b.publication(tenant_id, "Printed", is_physical=True),
            b.publication(tenant_id, "Ebook"),
        ]
        b.manual_shelf(tenant_id, "Picked", 1, items)
    page = text(visitor().get("/"))
    assert "Ebook" in page and "Printed" not in page
    actor = activity.Actor(label="tests")
    with in_platform(app):
        plan = definitions.create_plan(actor, slug="print", name="Print")
        grants.set_grant(actor, plan, definitions.find_feature("physicals_goods"), "enabled")
        grants.assign_plan(actor, db.session.get(Tenant, shop.id), plan)
    assert "Printed" in text(visitor().get("/"))


def test_an_edit_shows_on_the_next_request(visitor, stock):
    from app.models.catalog import Publication
    from services import activity
    from services.catalog.prices import set_prices
    from services.catalog.publications import update_publication

    actor = activity.Actor(label="tests")
    with stock() as tenant_id:
        item = b.publication(tenant_id, "Old title")
        b.manual_shelf(tenant_id, "Picked", 1, [item])
    client = visitor()
    assert "Old title" in text(client.get("/"))
    with stock() as tenant_id:
        update_publication(
            actor, tenant_id, db.session.get(Publication, item.id), title="New title"
        )
        set_prices(actor, tenant_id, item.id, {"USD": 1250})
    page = text(client.get("/"))
    assert "New title" in page and "Old title" not in page and "$12.50" in page


def test_a_card_prices_in_the_tenants_default_currency(visitor, stock):
    with stock() as tenant_id:
        item = b.publication(tenant_id, "Two prices")
        b.price(tenant_id, item, "EUR", 900)
        b.price(tenant_id, item, "USD", 1250)
        b.manual_shelf(tenant_id, "Picked", 1, [item])
    page = text(visitor().get("/"))
    assert '<span class="pub-price">$12.50</span>' in page
