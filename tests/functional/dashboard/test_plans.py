"""The store plans page (spec 30 §2.4, §13): list tabs, create and edit forms with the type
swap, 422 field errors, archive, unarchive and delete, feature gates and tenant isolation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Activity
from app.models.commerce import Plan, UserPlan
from app.models.features import PlatformPlan
from app.models.tenancy import Tenant
from services import activity, plans
from services.features import definitions, grants
from services.tenancy.context import tenant_scope
from tests.functional.conftest import host_of, in_platform, text
from tests.support.commerce import make_order
from tests.support.htmx import location_path

ACTOR = activity.Actor(label="tests")
HTMX = {"HX-Request": "true"}
URL = "/dashboard/plans"
FEATURES = ("create_external_plans", "physicals_goods")
MONTHLY = {"name": "Monthly", "type": "recurring", "interval": "month", "interval_count": 1}


def on_platform_plan(app, tenant, slugs) -> int:
    with in_platform(app):
        plan = definitions.create_plan(ACTOR, slug=f"commerce-{tenant.slug}", name="Commerce")
        for slug in slugs:
            grants.set_grant(ACTOR, plan, definitions.find_feature(slug), "enabled")
        grants.assign_plan(ACTOR, db.session.get(Tenant, tenant.id), plan)
        return plan.id


def drop_feature(app, platform_plan_id: int, slug: str) -> None:
    with in_platform(app):
        plan = db.session.get(PlatformPlan, platform_plan_id)
        grants.remove_grant(ACTOR, plan, definitions.find_feature(slug))


@pytest.fixture
def alpha(app, make_tenant):
    tenant = make_tenant(slug="alpha", name="Alpha Books")
    tenant.platform_plan = on_platform_plan(app, tenant, FEATURES)
    return tenant


@pytest.fixture
def beta(app, make_tenant):
    """A store without external plans or physical goods."""
    tenant = make_tenant(slug="beta", name="Beta Press")
    on_platform_plan(app, tenant, ())
    return tenant


@pytest.fixture
def admin(alpha, make_user, signed_in):
    return signed_in(host_of(alpha), make_user(tenant=alpha, admin=True).email)


@pytest.fixture
def beta_admin(beta, make_user, signed_in):
    return signed_in(host_of(beta), make_user(tenant=beta, admin=True).email)


def add_plan(app, tenant, **values) -> str:
    with app.app_context(), tenant_scope(tenant.id):
        plan = plans.create_plan(ACTOR, tenant.id, **values)
        db.session.commit()
        return str(plan.uuid)


def load(app, tenant, uuid: str | None = None) -> list[Plan]:
    with app.app_context(), tenant_scope(tenant.id):
        query = select(Plan).order_by(Plan.id)
        if uuid is not None:
            query = query.where(Plan.uuid == uuid)
        found = list(db.session.scalars(query))
        for plan in found:
            plan.price_list = [(p.currency, p.amount_minor) for p in plan.prices]
        return found


def add_line(app, tenant, uuid: str, make_user, gateway_type="manual") -> int:
    user = make_user(tenant=tenant)
    with app.app_context(), tenant_scope(tenant.id):
        plan = plans.get_plan(tenant.id, uuid)
        order = make_order(tenant.id, user.id, gateway_type=gateway_type, plan=plan)
        db.session.commit()
        return order.lines[0].id


def form_data(token: str, **values) -> dict:
    data = {"csrf_token": token, **MONTHLY, "price_usd": "", "access_scope": "all"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


# -- the list ---------------------------------------------------------------------------------


def test_list_page_and_fragment(app, admin, alpha, make_user):
    monthly = add_plan(
        app, alpha, **MONTHLY, prices={"USD": 1000}, free_trial_days=14, private=True
    )
    add_plan(app, alpha, name="Box", type="prepaid", duration_months=12, physical=True)
    add_plan(app, alpha, **{**MONTHLY, "name": "Quarterly", "interval_count": 3}, recommended=True)
    add_line(app, alpha, monthly, make_user)
    page = admin.get(URL)
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    html = text(page)
    assert "<html" in html and '<a href="/dashboard/plans" aria-current="page">Plans</a>' in html
    for piece in ("Monthly", "monthly", "every 3 months", "12 months prepaid", "USD 10.00"):
        assert piece in html
    for badge in ("private", "physical", "trial", "recommended"):
        assert f'data-badge="{badge}"' in html
    assert "Trial 14 days" in html and 'class="numeric">1</td>' in html
    assert html.count("hx-confirm=") == 6
    fragment = text(admin.get(URL, headers=HTMX))
    assert fragment.startswith('<div id="plans-table"') and "<html" not in fragment
    assert "Quarterly" in fragment


def test_tabs_and_bad_tab(app, admin, alpha):
    uuid = add_plan(app, alpha, **MONTHLY)
    with app.app_context(), tenant_scope(alpha.id):
        plans.archive_plan(ACTOR, alpha.id, uuid)
        db.session.commit()
    assert "Monthly" not in text(admin.get(URL, headers=HTMX))
    archived = text(admin.get(f"{URL}?tab=archived"))
    assert "Monthly" in archived and "Restore" in archived
    assert admin.get(f"{URL}?tab=deleted").status_code == 400


def test_readers_are_refused(alpha, make_user, signed_in):
    reader = signed_in(host_of(alpha), make_user(tenant=alpha).email)
    assert reader.get(URL).status_code == 403
    assert reader.get(f"{URL}/new").status_code == 403


# -- create and edit --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"interval_count": "3", "free_trial_days": "7", "price_usd": "12.50"},
            ("recurring", "month", 3, None, 7, [("USD", 1250)]),
        ),
        (
            {"type": "prepaid", "interval": None, "interval_count": None, "duration_months": "12"},
            ("prepaid", None, None, 12, 0, []),
        ),
        (
            {
                "type": "external",
                "interval": None,
                "interval_count": None,
                "duration_months": "24",
                "external_customer": "State University",
            },
            ("external", None, None, 24, 0, []),
        ),
    ],
)
def test_create_each_type_without_javascript(app, admin, alpha, values, expected):
    token = admin.csrf(f"{URL}/new")
    response = admin.post(f"{URL}/new", data=form_data(token, **values))
    assert response.status_code == 303 and response.headers["Location"].endswith(URL)
    [plan] = load(app, alpha)
    got = (plan.type, plan.interval, plan.interval_count, plan.duration_months)
    assert (*got, plan.free_trial_days, plan.price_list) == expected


def test_create_over_htmx_answers_a_location_and_records_the_admin(app, admin, alpha):
    token = admin.csrf(f"{URL}/new")
    response = admin.post(f"{URL}/new", data=form_data(token, private="y"), headers=HTMX)
    assert response.status_code == 200 and location_path(response) == URL
    [plan] = load(app, alpha)
    assert plan.private and plan.name == "Monthly"
    with app.app_context(), tenant_scope(alpha.id):
        row = db.session.scalar(select(Activity).where(Activity.action == "plan.created"))
        assert row.actor_label.endswith("@example.com")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"type": "prepaid", "interval": None, "interval_count": None}, "This field is required."),
        ({"interval_count": "13"}, "Between 1 and 12 months."),
        ({"interval": "year", "interval_count": "2"}, "A yearly plan bills every 1 year."),
        ({"free_trial_days": "400"}, "Between 0 and 365 days."),
        ({"price_usd": "12.505"}, "Use at most 2 decimals."),
        ({"price_usd": "0"}, "Enter an amount above 0."),
        ({"interval_count": "3", "physical": "y"}, "1 or 12 months"),
        ({"access_scope": "collections"}, "Choose at least one collection."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_invalid_plans_rerender_the_form_with_422(app, admin, alpha, values, message):
    token = admin.csrf(f"{URL}/new")
    response = admin.post(f"{URL}/new", data=form_data(token, **values), headers=HTMX)
    assert response.status_code == 422
    fragment = text(response)
    assert fragment.startswith('<form id="plan-form"') and message in fragment
    assert load(app, alpha) == []
    page = admin.post(f"{URL}/new", data=form_data(token, **values))
    assert page.status_code == 422 and "<html" in text(page) and message in text(page)


def test_a_duplicate_name_is_a_field_error(app, admin, alpha):
    add_plan(app, alpha, **MONTHLY)
    token = admin.csrf(f"{URL}/new")
    response = admin.post(f"{URL}/new", data=form_data(token, name="MONTHLY"), headers=HTMX)
    assert response.status_code == 422
    assert "Another plan is already called MONTHLY." in text(response)
    assert len(load(app, alpha)) == 1


def test_type_swap_fragment(admin, beta_admin):
    swap = f"{URL}/type-fields"
    prepaid = admin.get(f"{swap}?type=prepaid", headers=HTMX)
    assert prepaid.status_code == 200 and "HX-Request" in prepaid.headers["Vary"]
    html = text(prepaid)
    assert html.startswith('<div id="plan-type-fields">')
    assert 'name="duration_months"' in html and 'value="12"' in html
    assert 'name="interval"' not in html and 'name="physical"' in html
    recurring = text(admin.get(f"{swap}?type=recurring&free_trial_days=5", headers=HTMX))
    assert 'name="interval"' in recurring and 'name="interval_count"' in recurring
    assert 'name="free_trial_days"' in recurring and 'value="5"' in recurring
    external = text(admin.get(f"{swap}?type=external", headers=HTMX))
    assert 'name="external_customer"' in external and 'name="physical"' not in external
    assert admin.get(f"{swap}?type=lifetime", headers=HTMX).status_code == 400
    assert beta_admin.get(f"{swap}?type=external", headers=HTMX).status_code == 400
    assert 'name="physical"' not in text(beta_admin.get(f"{swap}?type=prepaid", headers=HTMX))


def test_the_form_wires_the_swap_and_refreshes_without_javascript(app, admin, alpha):
    page = text(admin.get(f"{URL}/new"))
    assert (
        'hx-get="/dashboard/plans/type-fields"' in page and 'hx-include="#plan-type-fields"' in page
    )
    assert '<noscript><button type="submit" name="refresh"' in page
    token = admin.csrf(f"{URL}/new")
    data = form_data(token, type="prepaid", refresh="1", interval=None, interval_count=None)
    refreshed = admin.post(f"{URL}/new", data=data)
    assert refreshed.status_code == 200 and 'name="duration_months"' in text(refreshed)
    assert load(app, alpha) == []


def test_edit_changes_the_type_of_a_plan_without_lines(app, admin, alpha):
    uuid = add_plan(app, alpha, **MONTHLY, prices={"USD": 1000})
    edit = f"{URL}/{uuid}"
    page = text(admin.get(edit))
    assert 'value="Monthly"' in page and 'value="10.00"' in page
    assert text(admin.get(edit, headers=HTMX)).startswith('<form id="plan-form"')
    data = form_data(
        admin.csrf(edit), type="prepaid", interval=None, interval_count=None, duration_months="6"
    )
    saved = admin.post(edit, data={**data, "price_usd": "60"}, headers=HTMX)
    assert saved.status_code == 200 and location_path(saved) == URL
    [plan] = load(app, alpha)
    assert (plan.type, plan.interval, plan.duration_months) == ("prepaid", None, 6)
    assert plan.price_list == [("USD", 6000)]


def test_a_plan_with_lines_keeps_its_terms_but_takes_a_new_price(app, admin, alpha, make_user):
    uuid = add_plan(app, alpha, **MONTHLY, prices={"USD": 1000})
    line_id = add_line(app, alpha, uuid, make_user, gateway_type="stripe")
    edit = f"{URL}/{uuid}"
    page = text(admin.get(edit))
    assert "create a new plan" in page and 'name="type"' not in page
    assert 'name="interval"' not in page and 'name="free_trial_days"' in page
    data = {"csrf_token": admin.csrf(edit), "name": "Monthly+", "access_scope": "all"}
    saved = admin.post(edit, data={**data, "price_usd": "15", "free_trial_days": "3"})
    assert saved.status_code == 303
    [plan] = load(app, alpha)
    assert (plan.name, plan.interval, plan.free_trial_days) == ("Monthly+", "month", 3)
    assert plan.price_list == [("USD", 1500)]
    with app.app_context(), tenant_scope(alpha.id):
        assert db.session.get(UserPlan, line_id).price_minor == 1000


# -- archive, unarchive, delete ---------------------------------------------------------------


def test_archive_and_restore_over_htmx(app, admin, alpha):
    uuid = add_plan(app, alpha, **MONTHLY)
    token = admin.csrf(URL)
    archived = admin.post(f"{URL}/{uuid}/archive", data={"plan-csrf_token": token}, headers=HTMX)
    assert archived.status_code == 200 and location_path(archived) == URL
    [plan] = load(app, alpha)
    assert plan.archived_at is not None
    again = admin.post(f"{URL}/{uuid}/archive", data={"plan-csrf_token": token}, headers=HTMX)
    assert again.status_code == 409 and "already archived" in text(again)
    back = admin.post(f"{URL}/{uuid}/unarchive", data={"plan-csrf_token": token})
    assert back.status_code == 303 and back.headers["Location"].endswith(f"{URL}?tab=archived")
    assert load(app, alpha)[0].archived_at is None


def test_delete_is_refused_with_lines_and_works_without(app, admin, alpha, make_user):
    kept = add_plan(app, alpha, **MONTHLY)
    add_line(app, alpha, kept, make_user)
    gone = add_plan(app, alpha, **{**MONTHLY, "name": "Spare"})
    token = admin.csrf(URL)
    refused = admin.post(f"{URL}/{kept}/delete", data={"plan-csrf_token": token}, headers=HTMX)
    assert refused.status_code == 409
    fragment = text(refused)
    assert fragment.startswith('<div id="plans-table"') and "archive it instead" in fragment
    page = admin.post(f"{URL}/{kept}/delete", data={"plan-csrf_token": token})
    assert page.status_code == 409 and "<html" in text(page)
    deleted = admin.post(f"{URL}/{gone}/delete", data={"plan-csrf_token": token}, headers=HTMX)
    assert deleted.status_code == 200 and location_path(deleted) == URL
    assert [p.name for p in load(app, alpha)] == ["Monthly"]


def test_a_post_without_the_csrf_token_changes_nothing(app, admin, alpha):
    uuid = add_plan(app, alpha, **MONTHLY)
    response = admin.post(f"{URL}/{uuid}/archive", data={}, headers=HTMX)
    assert response.status_code == 400
    assert load(app, alpha)[0].archived_at is None


# -- isolation and feature gates --------------------------------------------------------------


def test_another_stores_plan_is_404(app, admin, beta):
    theirs = add_plan(app, beta, **MONTHLY)
    token = admin.csrf(URL)
    assert admin.get(f"{URL}/{theirs}").status_code == 404
    for action in ("archive", "unarchive", "delete"):
        response = admin.post(f"{URL}/{theirs}/{action}", data={"plan-csrf_token": token})
        assert response.status_code == 404
    assert load(app, beta)[0].archived_at is None


def test_without_external_plans_the_type_is_a_form_error(app, beta_admin, beta):
    page = text(beta_admin.get(f"{URL}/new"))
    assert 'value="external"' not in page and 'name="physical"' not in page
    token = beta_admin.csrf(f"{URL}/new")
    external = form_data(
        token, type="external", interval=None, interval_count=None, duration_months="12"
    )
    response = beta_admin.post(f"{URL}/new", data=external, headers=HTMX)
    assert response.status_code == 422
    assert "External plans are not included in your platform plan." in text(response)
    physical = beta_admin.post(f"{URL}/new", data=form_data(token, physical="y"), headers=HTMX)
    assert physical.status_code == 422
    assert "Physical plans are not included in your platform plan." in text(physical)
    assert load(app, beta) == []


def test_external_plans_leave_the_list_with_their_feature(app, admin, alpha):
    uuid = add_plan(app, alpha, name="Campus", type="external", duration_months=12)
    assert "Campus" in text(admin.get(URL)) and 'value="external"' in text(admin.get(f"{URL}/new"))
    drop_feature(app, alpha.platform_plan, "create_external_plans")
    assert "Campus" not in text(admin.get(URL))
    assert admin.get(f"{URL}/{uuid}").status_code == 404
    assert 'value="external"' not in text(admin.get(f"{URL}/new"))
