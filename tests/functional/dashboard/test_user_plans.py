"""The users lookup and a user's plans page (spec 30 §8.1, §8.3, §13): assign, record an
external sale, cancel a grant; one-time request tokens; another store's ids answer 404."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.commerce import Order, UserPlan
from app.models.features import PlatformPlan
from app.models.tenancy import Tenant
from services import activity, assignments
from services.features import definitions, grants
from services.tenancy.context import tenant_scope
from tests.functional.conftest import host_of, in_platform, text
from tests.support.commerce import make_plan, make_publication
from tests.support.htmx import location_path

HTMX = {"HX-Request": "true"}
ACTOR = activity.Actor(label="tests")
_TOKEN = re.compile(r'name="request_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def shop(make_tenant):
    return make_tenant(slug="shop", name="Shop Books")


@pytest.fixture
def admin(shop, make_user, signed_in):
    return signed_in(host_of(shop), make_user(tenant=shop, admin=True).email)


@pytest.fixture
def reader(shop, make_user):
    return make_user(tenant=shop, email="reader@shop.example")


@pytest.fixture
def add(app, shop):
    """Runs `make(tenant_id)` as the shop and commits; returns what it gave."""

    def run(make):
        with app.app_context(), tenant_scope(shop.id):
            row = make(shop.id)
            db.session.commit()
            return row

    return run


def allow_external(app, tenant) -> None:
    with in_platform(app):
        plan = definitions.create_plan(ACTOR, slug="external-ok", name="External OK")
        grants.set_grant(ACTOR, plan, definitions.find_feature("create_external_plans"), "enabled")
        grants.assign_plan(
            ACTOR, db.session.get(Tenant, tenant.id), db.session.get(PlatformPlan, plan.id)
        )


def plans_url(user) -> str:
    return f"/dashboard/users/{user.uuid}/plans"


def form_tokens(client, url: str) -> dict:
    html = text(client.get(url))
    return {"csrf_token": client.csrf(url), "request_token": _TOKEN.search(html).group(1)}


def lines_of(app, shop, user) -> list[UserPlan]:
    with app.app_context(), tenant_scope(shop.id):
        query = select(UserPlan).where(UserPlan.user_id == user.id).order_by(UserPlan.id)
        return list(db.session.scalars(query))


def test_users_lookup_page_and_fragment(admin, reader, make_user, shop):
    make_user(tenant=shop, email="zora@shop.example")
    page = admin.get("/dashboard/users?q=read")
    assert page.status_code == 200 and "<html" in text(page)
    assert "reader@shop.example" in text(page) and "zora@" not in text(page)
    assert f'href="/dashboard/users/{reader.uuid}/plans"' in text(page)
    fragment = admin.get("/dashboard/users?q=zo", headers=HTMX)
    assert text(fragment).startswith('<div id="user-results"')
    assert "zora@shop.example" in text(fragment) and "HX-Request" in fragment.headers["Vary"]


def test_plans_page_and_fragment_and_other_stores_users(admin, reader, make_tenant, make_user):
    page = admin.get(plans_url(reader))
    assert page.status_code == 200 and "Plans of reader@shop.example" in text(page)
    assert 'id="plan-dialog"' in text(page)
    fragment = admin.get(plans_url(reader), headers=HTMX)
    assert text(fragment).lstrip().startswith('<div id="user-plan-lines"')
    assert "No plans or publications yet" in text(fragment)
    stranger = make_user(tenant=make_tenant(slug="other"), email="x@other.example")
    assert admin.get(plans_url(stranger)).status_code == 404
    assert admin.get(plans_url(stranger) + "/assign").status_code == 404


def test_assign_a_plan_then_a_resubmit_with_the_same_token_does_nothing(
    app, admin, reader, shop, add
):
    plan = add(lambda t: make_plan(t, name="Gold", type="prepaid", duration_months=6))
    url = plans_url(reader) + "/assign"
    dialog = admin.get(url, headers=HTMX)
    assert text(dialog).lstrip().startswith('<section id="plan-dialog"')
    assert "Gold (6 months prepaid)" in text(dialog)
    data = {**form_tokens(admin, url), "plan": str(plan.uuid), "note": "Conference prize"}
    response = admin.post(url, data=data, headers=HTMX)
    assert response.status_code == 200, text(response)
    assert location_path(response) == plans_url(reader)
    [line] = lines_of(app, shop, reader)
    assert (line.gateway_type, line.status, line.kind) == ("manual", "approved", "prepaid")
    again = admin.post(url, data=data, headers=HTMX)
    assert again.status_code == 422 and "already sent" in text(again)
    assert len(lines_of(app, shop, reader)) == 1
    page = text(admin.get(plans_url(reader)))
    assert "Gold" in page and ">manual<" in page and "Conference prize" not in page
    fragment = text(admin.get(plans_url(reader), headers=HTMX))
    assert "<html" not in fragment and "Gold" in fragment and 'data-status="approved"' in fragment


def test_plain_post_redirects_and_past_dates_are_form_errors(app, admin, reader, add):
    plan = add(lambda t: make_plan(t, name="Monthly"))
    url = plans_url(reader) + "/assign"
    past = (date.today() - timedelta(days=2)).isoformat()
    data = {**form_tokens(admin, url), "plan": str(plan.uuid), "expires_on": past}
    refused = admin.post(url, data=data)
    assert refused.status_code == 422 and "<html" in text(refused)
    assert "The end date must be in the future." in text(refused)
    data = {**form_tokens(admin, url), "plan": str(plan.uuid)}
    created = admin.post(url, data=data)
    assert created.status_code == 303 and created.headers["Location"] == plans_url(reader)
    again = admin.post(url, data={**form_tokens(admin, url), "plan": str(plan.uuid)}, headers=HTMX)
    assert again.status_code == 422 and "Already active with no end date" in text(again)


def test_publication_autocomplete_and_assignment(app, admin, reader, shop, add):
    publication = add(lambda t: make_publication(t, "Harbour Charts"))
    options = admin.get(f"{plans_url(reader)}/publication-options?q=harb", headers=HTMX)
    assert options.status_code == 200
    assert text(options).lstrip().startswith('<div id="publication-options"')
    assert f'value="{publication.uuid}"' in text(options) and "Harbour Charts" in text(options)
    short = admin.get(f"{plans_url(reader)}/publication-options?q=h", headers=HTMX)
    assert "Harbour" not in text(short)
    assign = plans_url(reader) + "/assign"
    data = {**form_tokens(admin, assign), "plan": "", "publication": str(publication.uuid)}
    assert admin.post(assign, data=data, headers=HTMX).status_code == 200
    [line] = lines_of(app, shop, reader)
    assert (line.kind, line.publication_id, line.expires_at) == ("single", publication.id, None)


def test_external_plans_show_sale_fields_and_record_a_report_order(app, admin, reader, shop, add):
    plan = add(lambda t: make_plan(t, name="Campus", type="external", duration_months=12,
                                   prices={"USD": 12000}))  # fmt: skip
    url = plans_url(reader) + "/assign"
    assert "Campus" not in text(admin.get(url, headers=HTMX))  # feature off: not offered
    allow_external(app, shop)
    chosen = admin.get(f"{url}?plan={plan.uuid}", headers=HTMX)
    assert 'id="external-sale"' in text(chosen) and 'value="120.00"' in text(chosen)
    data = {**form_tokens(admin, url), "plan": str(plan.uuid), "currency": "USD",
            "price": "120.005"}  # fmt: skip
    refused = admin.post(url, data=data, headers=HTMX)
    assert refused.status_code == 422 and "at most 2 decimals" in text(refused)
    data.update(form_tokens(admin, url), price="99.50", external_reference="INV-7")
    recorded = admin.post(url, data=data, headers=HTMX)
    assert recorded.status_code == 200, text(recorded)
    with app.app_context(), tenant_scope(shop.id):
        order = db.session.scalar(select(Order).where(Order.user_id == reader.id))
        assert (order.type, order.gateway_type, order.amount_minor) == ("report", "external", 9950)
        assert order.external_reference == "INV-7"


def test_cancel_a_grant_line_with_a_reason(app, admin, reader, shop, add):
    plan = add(lambda t: make_plan(t, name="Silver"))
    with app.app_context(), tenant_scope(shop.id):
        order = assignments.assign(shop.id, reader.id, ACTOR, plan_uuid=plan.uuid)
        line_uuid = order.lines[0].uuid
        db.session.commit()
    page = text(admin.get(plans_url(reader)))
    cancel_url = f"{plans_url(reader)}/{line_uuid}/cancel"
    assert f'href="{cancel_url}"' in page
    dialog = admin.get(cancel_url, headers=HTMX)
    assert text(dialog).lstrip().startswith('<section id="plan-dialog"')
    empty = admin.post(cancel_url, data={**form_tokens(admin, cancel_url), "reason": ""})
    assert empty.status_code == 422
    data = {**form_tokens(admin, cancel_url), "reason": "Left the school"}
    done = admin.post(cancel_url, data=data, headers=HTMX)
    assert done.status_code == 200 and location_path(done) == plans_url(reader)
    [line] = lines_of(app, shop, reader)
    assert line.status == "cancelled" and line.access_until is not None
    assert f'href="{cancel_url}"' not in text(admin.get(plans_url(reader)))
