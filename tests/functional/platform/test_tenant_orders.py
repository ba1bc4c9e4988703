"""Staff orders inside a tenant (spec 30 §8.4): an internal grant, an internal_report sale of
an external plan whatever the tenant's features, both audited as staff; tenant admins and
unknown tenants are kept out."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.activity import Activity
from app.models.commerce import Order
from services.tenancy.context import tenant_scope
from tests.functional.conftest import host_of, text
from tests.support.commerce import make_plan, make_publication
from tests.support.htmx import location_path

HTMX = {"HX-Request": "true"}
_TOKEN = re.compile(r'name="request_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def shop(make_tenant):
    return make_tenant(slug="shop", name="Shop Books")


@pytest.fixture
def reader(shop, make_user):
    return make_user(tenant=shop, email="reader@shop.example")


@pytest.fixture
def add(app, shop):
    def run(make):
        with app.app_context(), tenant_scope(shop.id):
            row = make(shop.id)
            db.session.commit()
            return row

    return run


def new_url(tenant) -> str:
    return f"/platform/tenants/{tenant.uuid}/orders/new"


def tokens(client, url: str) -> dict:
    html = text(client.get(url))
    return {"csrf_token": client.csrf(url), "request_token": _TOKEN.search(html).group(1)}


def orders(app, shop) -> list[Order]:
    with app.app_context(), tenant_scope(shop.id):
        rows = list(db.session.scalars(select(Order).order_by(Order.id)))
        for row in rows:
            row.lines  # noqa: B018  (loaded while the session is open)
        return rows


def test_form_page_and_fragment(staff, shop, add):
    add(lambda t: make_plan(t, name="Gold"))
    add(lambda t: make_plan(t, name="Campus", type="external", duration_months=12))
    page = staff.get(new_url(shop))
    assert page.status_code == 200 and "<html" in text(page)
    assert "New order for Shop Books" in text(page)
    assert "Gold (monthly)" in text(page) and "Campus (12 months (external))" in text(page)
    fragment = staff.get(new_url(shop), headers=HTMX)
    assert text(fragment).lstrip().startswith('<form id="staff-order-form"')


def test_staff_grant_is_internal_and_audited_as_staff(app, staff, shop, reader, add):
    plan = add(lambda t: make_plan(t, name="Gold"))
    url = new_url(shop)
    data = {**tokens(staff, url), "email": "Reader@Shop.example", "plan": str(plan.uuid)}
    response = staff.post(url, data=data, headers=HTMX)
    assert response.status_code == 200, text(response)
    assert location_path(response) == f"/platform/tenants/{shop.uuid}"
    [order] = orders(app, shop)
    assert (order.type, order.gateway_type, order.status) == ("internal", "manual", "approved")
    with app.app_context(), tenant_scope(shop.id):
        row = db.session.scalar(select(Activity).where(Activity.subject_id == str(order.uuid)))
        assert (row.actor_label, row.actor_is_staff) == ("staff@example.com", True)
    again = staff.post(url, data=data, headers=HTMX)
    assert again.status_code == 422 and len(orders(app, shop)) == 1


def test_staff_record_external_sales_without_the_tenant_feature(app, staff, shop, reader, add):
    plan = add(lambda t: make_plan(t, name="Campus", type="external", duration_months=12))
    url = new_url(shop)
    shown = staff.get(f"{url}?plan={plan.uuid}", headers=HTMX)
    assert 'id="external-sale"' in text(shown)
    data = {
        **tokens(staff, url),
        "email": reader.email,
        "plan": str(plan.uuid),
        "currency": "USD",
        "price": "450",
        "external_reference": "PO-1",
    }
    assert staff.post(url, data=data).status_code == 303
    [order] = orders(app, shop)
    assert (order.type, order.gateway_type, order.amount_minor) == (
        "internal_report",
        "external",
        45000,
    )


def test_unknown_reader_and_publication_grants(app, staff, shop, reader, add):
    publication = add(lambda t: make_publication(t, "Tide Tables"))
    url = new_url(shop)
    options = staff.get(f"/platform/tenants/{shop.uuid}/orders/publication-options?q=tide")
    assert f'value="{publication.uuid}"' in text(options)
    data = {
        **tokens(staff, url),
        "email": "nobody@shop.example",
        "publication": str(publication.uuid),
    }
    refused = staff.post(url, data=data, headers=HTMX)
    assert refused.status_code == 422 and "No user of this store has that email." in text(refused)
    data = {**tokens(staff, url), "email": reader.email, "publication": str(publication.uuid)}
    assert staff.post(url, data=data, headers=HTMX).status_code == 200
    [order] = orders(app, shop)
    assert order.type == "internal" and order.lines[0].kind == "single"


def test_only_staff_and_only_known_tenants(app, staff, shop, make_user, signed_in):
    assert (
        staff.get("/platform/tenants/00000000-0000-4000-8000-000000000000/orders/new").status_code
        == 404
    )
    admin = signed_in(host_of(shop), make_user(tenant=shop, admin=True).email)
    assert admin.get(new_url(shop)).status_code == 404  # the platform area is not on tenant hosts


def test_the_tenant_page_links_to_the_staff_order_form(staff, shop):
    page = text(staff.get(f"/platform/tenants/{shop.uuid}"))
    assert f'href="{new_url(shop)}" id="staff-order-link"' in page
