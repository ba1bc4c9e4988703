"""GET /publications/<uuid>: facts, prices, the reader's buttons, and 404 or a preview for what
is not live (acceptance 13 and the buttons of 26)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from services.catalog import access
from tests.functional.conftest import host_of, text
from tests.functional.store.conftest import HX
from tests.unit.services.storefront import builders as b

LATER = datetime.now(UTC) + timedelta(days=3)


@pytest.fixture
def reader(make_user, signed_in, shop):
    user = make_user(tenant=shop)
    return signed_in(host_of(shop), user.email)


@pytest.fixture
def admin(make_user, signed_in, shop):
    user = make_user(tenant=shop, admin=True)
    return signed_in(host_of(shop), user.email)


def make(stock, title="Steppenwolf", **fields):
    with stock() as tenant_id:
        row = b.publication(tenant_id, title, **fields)
        uuid = str(row.uuid)
    return uuid


def test_publication_page_shows_the_facts(visitor, stock):
    with stock() as tenant_id:
        item = b.publication(
            tenant_id,
            "Steppenwolf",
            description_html="<p>A <strong>restless</strong> man.</p>",
            language="de",
            page_count=237,
            published_at=datetime(2024, 3, 9, 12, tzinfo=UTC),
        )
        b.credit(item, "Hermann Hesse")
        b.credit(item, "Basil Creighton", "translator")
        genre = b.taxonomy(tenant_id, "Genre", "genre")
        b.tag(tenant_id, item, b.term(genre, "Fiction", "fiction"))
        uuid = str(item.uuid)
    response = visitor().get(f"/publications/{uuid}")
    page = text(response)
    assert response.status_code == 200 and "<html" in page
    assert "<h1>Steppenwolf</h1>" in page
    assert (
        "Hermann Hesse" in page and 'Basil Creighton</a> <span class="muted">(translator)' in page
    )
    assert "<p>A <strong>restless</strong> man.</p>" in page
    assert 'href="/library/filter?genre=fiction"' in page
    assert "German" in page and "237" in page and "March 9, 2024" in page
    assert "X-Robots-Tag" not in response.headers  # publication pages are indexable


def test_publication_page_over_htmx_is_the_fragment(visitor, stock):
    uuid = make(stock)
    response = visitor().get(f"/publications/{uuid}", headers=HX)
    fragment = text(response)
    assert response.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<article id="publication"')


def test_a_priced_unreadable_item_offers_buy_without_faking_a_checkout(visitor, stock):
    with stock() as tenant_id:
        item = b.publication(tenant_id, "Priced")
        b.price(tenant_id, item, "USD", 1999)
        b.price(tenant_id, item, "CLP", 5000)  # not a currency the shop sells
        uuid = str(item.uuid)
    page = text(visitor().get(f"/publications/{uuid}"))
    assert "$19.99" in page and "CLP" not in page
    assert '<button type="button" class="buy" disabled' in page
    assert "Checkout is not enabled yet" in page
    assert "<form" not in page.split('id="publication-actions"')[1].split("</div>")[0]
    assert "Not available for sale" not in page


def test_a_free_item_is_read_for_free_and_guests_sign_in_first(visitor, reader, stock):
    uuid = make(stock, "Gift", is_free=True)
    guest = text(visitor().get(f"/publications/{uuid}"))
    assert "Read for free" in guest
    assert f'href="/login?next=/publications/{uuid}/read"' in guest
    signed = text(reader.get(f"/publications/{uuid}"))
    assert f'href="/publications/{uuid}/read"' in signed and "Read for free" in signed


def test_an_item_without_price_or_plan_is_not_for_sale(visitor, stock):
    uuid = make(stock, "Unpriced")
    page = text(visitor().get(f"/publications/{uuid}"))
    assert "Not available for sale" in page and "Buy" not in page


@pytest.mark.parametrize(("file_type", "label"), [("pdf", "Read"), ("audio", "Listen")])
def test_a_readable_item_offers_read_or_listen(app, reader, stock, file_type, label):
    with stock() as tenant_id:
        item = b.publication(tenant_id, "Bought", file_type=file_type)
        b.price(tenant_id, item, "USD", 999)
        uuid, item_id = str(item.uuid), item.id

    def grant(tenant, user_id, candidates):  # an entitlement, as commerce will register one
        return access.Grants(publications={item_id: ("purchase", None)})

    access.register_provider(grant)
    try:
        page = text(reader.get(f"/publications/{uuid}"))
    finally:
        access.unregister(grant)
    assert f'href="/publications/{uuid}/read" hx-boost="false">{label}</a>' in page
    assert "Checkout is not enabled yet" not in page


# -- acceptance 13: what is not live ------------------------------------------------------------

HIDDEN = {
    "draft": {"published_at": None},
    "scheduled": {"published_at": LATER},
    "processing": {"status": "processing"},
    "failed": {"status": "failed"},
}


@pytest.mark.parametrize("state", sorted(HIDDEN))
def test_readers_get_404_for_what_is_not_live(visitor, reader, stock, state):
    uuid = make(stock, **HIDDEN[state])
    assert visitor().get(f"/publications/{uuid}").status_code == 404
    assert reader.get(f"/publications/{uuid}").status_code == 404


@pytest.mark.parametrize(("state", "banner"), [("draft", "Draft"), ("scheduled", "Scheduled")])
def test_the_owners_admin_sees_a_preview_banner(admin, stock, state, banner):
    uuid = make(stock, **HIDDEN[state])
    response = admin.get(f"/publications/{uuid}")
    assert response.status_code == 200
    assert f'id="preview-banner" role="status">{banner}:' in text(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_deleted_and_disabled_items_are_404_even_for_admins(admin, stock):
    from app.models.storefront import CatalogEntry

    with stock() as tenant_id:
        deleted = b.publication(tenant_id, "Deleted", deleted_at=datetime.now(UTC))
        disabled = b.publication(tenant_id, "Disabled")
        entry = db.session.query(CatalogEntry).filter_by(publication_id=disabled.id).one()
        entry.enabled = False
        uuids = [str(deleted.uuid), str(disabled.uuid)]
    for uuid in uuids:
        assert admin.get(f"/publications/{uuid}").status_code == 404


def test_unknown_or_malformed_ids_are_404(visitor):
    assert visitor().get("/publications/not-a-uuid").status_code == 404
    assert visitor().get("/publications/7f0c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f").status_code == 404


def test_another_tenants_publication_is_404(visitor, make_tenant, app):
    from services.tenancy.context import tenant_scope

    other = make_tenant(slug="other")
    with app.app_context(), tenant_scope(other.id):
        uuid = str(b.publication(other.id, "Not yours").uuid)
        db.session.commit()
    assert visitor().get(f"/publications/{uuid}").status_code == 404


def test_the_reading_address_keeps_its_access_rules_and_says_the_reader_is_not_there_yet(
    visitor, reader, stock
):
    free = make(stock, "Gift", is_free=True)
    priced = make(stock, "Priced")
    guest = visitor().get(f"/publications/{free}/read")
    assert guest.status_code == 302
    assert guest.headers["Location"].endswith(f"/login?next=/publications/{free}/read")
    page = reader.get(f"/publications/{free}/read")
    assert page.status_code == 200 and "online reader is not available yet" in text(page)
    assert reader.get(f"/publications/{priced}/read").status_code == 404
