"""Platform plans and the inline grants matrix (spec 20 §11.3, §11.6, §13; §15 items 24, 38, 40,
41): the list and its writes, the cell editor over HTMX and without it, and what a tenant sees."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.activity import Activity
from app.models.features import ConfigVersion, PlatformPlan, PlatformPlanFeature
from app.models.tenancy import Tenant
from services import features
from services.errors import InvalidState
from services.features import definitions, grants
from services.tenancy.resolver import get_tenant
from tests.factories import ACTOR
from tests.functional.conftest import PLATFORM_HOST, host_of, in_platform, text
from tests.support.htmx import location_path

HTMX = {"HX-Request": "true"}


@pytest.fixture
def root(signed_in, make_user):
    """A super admin signed in on the platform host."""
    user = make_user(email="root@example.com", super_admin=True)
    return signed_in(PLATFORM_HOST, user.email)


@pytest.fixture
def growth(app, tenant_factory):
    """Plan Growth with two tenants on it and admin_limit 5; plan Starter with none."""
    with in_platform(app):
        plan = definitions.create_plan(ACTOR, slug="growth", name="Growth", position=2)
        definitions.create_plan(ACTOR, slug="starter", name="Starter", position=1)
        grants.set_grant(ACTOR, plan, definitions.find_feature("admin_limit"), "5")
        for _ in range(2):
            grants.assign_plan(ACTOR, tenant_factory(commit=False), plan)
    return plan


def send(client, method: str, path: str, data=None, htmx: bool = False):
    """A write with the CSRF token in the header, as the page's hx-headers sends it."""
    headers = {"X-CSRFToken": client.csrf("/platform/plans"), **(HTMX if htmx else {})}
    return client.client.open(
        path, method=method, data=data or {}, headers=client._headers(headers)
    )


def grant_url(plan, slug: str) -> str:
    return f"/platform/plans/{plan.uuid}/grants/{slug}"


def cell_id(plan, slug: str) -> str:
    return f"grant-{plan.uuid}-{slug}"


def grant_values(app) -> dict[tuple[str, str], str]:
    with app.app_context():
        rows = db.session.scalars(select(PlatformPlanFeature))
        return {(row.plan.slug, row.feature.slug): row.value for row in rows}


def activity_rows(app, action: str) -> list[Activity]:
    with app.app_context():
        query = select(Activity).where(Activity.action == action).order_by(Activity.id)
        return list(db.session.scalars(query))


def activity_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Activity.id)))


def catalog_version(app) -> int:
    with app.app_context():
        return db.session.get(ConfigVersion, "feature_catalog").version


def plan_named(app, slug: str) -> PlatformPlan | None:
    with app.app_context():
        return db.session.scalar(select(PlatformPlan).where(PlatformPlan.slug == slug))


def plan_form(**fields) -> dict:
    return {
        "slug": "enterprise",
        "name": "Enterprise",
        "description": "",
        "position": "3",
        **fields,
    }


# -- the plans list ---------------------------------------------------------------------------


def test_plans_page_and_fragment(staff, growth):
    page = staff.get("/platform/plans")
    fragment = staff.get("/platform/plans", headers=HTMX)
    for response in (page, fragment):
        assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert "<html" in text(page) and text(fragment).startswith('<div id="plan-rows"')
    row = re.search(rf'<tr id="plan-{growth.uuid}">(.*?)</tr>', text(page), re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", row) == ["2", "2"]  # tenants on it, position
    assert text(page).index("Starter") < text(page).index("Growth")  # by position
    assert "New plan" not in text(page) and "Deactivate" not in text(page)


def test_areas_point_at_the_new_pages(staff):
    page = text(staff.get("/platform/tenants"))
    assert 'href="/platform/plans"' in page and 'href="/platform/features"' in page


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/platform/plans/new"),
        ("POST", "/platform/plans/new"),
        ("GET", "/platform/plans/{uuid}/edit"),
        ("POST", "/platform/plans/{uuid}/edit"),
        ("POST", "/platform/plans/{uuid}/deactivate"),
        ("GET", "/platform/plans/{uuid}/delete"),
        ("POST", "/platform/plans/{uuid}/delete"),
    ],
)
def test_plain_staff_cannot_write_plans(app, staff, growth, method, path):
    before = activity_count(app)
    response = send(staff, method, path.format(uuid=growth.uuid), plan_form(name="Hacked"))
    assert response.status_code == 403
    assert plan_named(app, "growth").name == "Growth" and plan_named(app, "growth").is_active
    assert plan_named(app, "enterprise") is None and activity_count(app) == before


def test_tenant_admin_cannot_reach_plans_or_the_matrix(make_tenant, make_user, signed_in, growth):
    tenant = make_tenant(slug="alpha")
    client = signed_in(host_of(tenant), make_user(tenant=tenant, admin=True).email)
    cell = grant_url(growth, "admin_limit") + "/cell"
    for path in ("/platform/plans", "/platform/plans/matrix", cell):
        assert client.get(path).status_code == 404


def test_super_admin_creates_a_plan(app, root):
    version = catalog_version(app)
    page = root.get("/platform/plans/new", headers=HTMX)
    assert page.status_code == 200 and text(page).startswith('<form id="plan-form"')
    response = send(root, "POST", "/platform/plans/new", plan_form(), htmx=True)
    assert response.status_code == 200 and location_path(response) == "/platform/plans"
    plan = plan_named(app, "enterprise")
    assert (plan.name, plan.position, plan.is_active) == ("Enterprise", 3, True)
    (row,) = activity_rows(app, "platform_plan.created")
    assert row.subject_id == str(plan.uuid) and row.actor_label == "root@example.com"
    assert row.before is None and row.after["slug"] == "enterprise"
    assert catalog_version(app) == version + 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slug": "Enterprise!"}, "lower-case letters"),
        ({"slug": "growth"}, "This slug is taken."),
        ({"name": ""}, "Give a name"),
        ({"position": "first"}, "Not a valid integer"),
    ],
)
def test_invalid_plan_is_refused(app, root, growth, fields, message):
    before = activity_count(app)
    response = send(root, "POST", "/platform/plans/new", plan_form(**fields), htmx=True)
    assert response.status_code == 422 and message in text(response)
    assert plan_named(app, "enterprise") is None and activity_count(app) == before


def test_edit_plan_writes_one_row_with_the_diff(app, root, growth):
    page = root.get(f"/platform/plans/{growth.uuid}/edit")
    assert page.status_code == 200 and 'value="Growth"' in text(page)
    fields = plan_form(name="Growth+", position="7", is_active="y")
    response = send(root, "POST", f"/platform/plans/{growth.uuid}/edit", fields)
    assert response.status_code == 303
    assert (plan_named(app, "growth").name, plan_named(app, "growth").position) == ("Growth+", 7)
    (row,) = activity_rows(app, "platform_plan.updated")
    assert row.before == {"name": "Growth", "position": 2}
    assert row.after == {"name": "Growth+", "position": 7}


def test_deactivated_plan_keeps_its_tenants_but_cannot_be_newly_assigned(
    app, root, growth, tenant_factory
):
    response = send(root, "POST", f"/platform/plans/{growth.uuid}/deactivate", htmx=True)
    assert response.status_code == 200 and "deactivated" in response.headers["HX-Trigger"]
    assert plan_named(app, "growth").is_active is False
    (row,) = activity_rows(app, "platform_plan.deactivated")
    assert row.before == {"is_active": True} and row.after == {"is_active": False}
    with app.app_context():
        on_it = db.session.scalar(select(func.count()).where(Tenant.platform_plan_id == growth.id))
    assert on_it == 2
    with in_platform(app), pytest.raises(InvalidState):
        grants.assign_plan(ACTOR, tenant_factory(commit=False), definitions.find_plan(growth.uuid))


def test_plan_in_use_cannot_be_deleted(app, root, growth):
    page = text(root.get(f"/platform/plans/{growth.uuid}/delete"))
    assert "deactivate it instead" in page and "Delete plan</button>" not in page
    response = send(root, "POST", f"/platform/plans/{growth.uuid}/delete", htmx=True)
    assert response.status_code == 422 and text(response).startswith('<div id="plan-delete"')
    assert "2 tenants are on plan Growth; deactivate it instead." in text(response)
    assert plan_named(app, "growth") is not None
    assert activity_rows(app, "platform_plan.deleted") == []


def test_unused_plan_is_deleted_with_its_grants(app, root, growth):
    starter = plan_named(app, "starter")
    with in_platform(app):
        plan = definitions.find_plan(starter.uuid)
        grants.set_grant(ACTOR, plan, definitions.find_feature("automations"), "enabled")
    version, before = catalog_version(app), activity_count(app)
    assert "Delete plan</button>" in text(root.get(f"/platform/plans/{starter.uuid}/delete"))
    response = send(root, "POST", f"/platform/plans/{starter.uuid}/delete")
    assert response.status_code == 303 and response.headers["Location"] == "/platform/plans"
    assert plan_named(app, "starter") is None
    assert ("starter", "automations") not in grant_values(app)
    assert activity_count(app) == before + 1
    (row,) = activity_rows(app, "platform_plan.deleted")
    assert row.before["grants"] == {"automations": "enabled"} and row.after is None
    assert catalog_version(app) == version + 1


def test_unknown_plan_in_the_url_is_404(root, growth):
    assert root.get("/platform/plans/not-a-uuid/edit").status_code == 404
    missing = "00000000-0000-0000-0000-000000000000"
    assert send(root, "POST", f"/platform/plans/{missing}/delete").status_code == 404


# -- the matrix -------------------------------------------------------------------------------


def test_matrix_page_and_fragment(staff, growth):
    page = staff.get("/platform/plans/matrix")
    fragment = staff.get("/platform/plans/matrix", headers=HTMX)
    for response in (page, fragment):
        assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert "<html" in text(page) and text(fragment).startswith('<div id="grants-matrix"')
    html = text(page)
    head = re.search(rf'id="plan-head-{growth.uuid}">(.*?)</th>', html, re.S).group(1)
    assert "Growth" in head and "2 tenants" in head
    assert html.index('id="matrix-boolean"') < html.index('id="matrix-limit"')
    assert f'id="{cell_id(growth, "admin_limit")}"' in html
    assert re.search(rf'id="{cell_id(growth, "admin_limit")}"[^>]*><a [^>]*>5</a>', html)
    assert re.search(rf'id="{cell_id(growth, "automations")}"[^>]*><a [^>]*>—</a>', html)


def test_cell_editor_confirms_with_the_tenant_count(staff, growth):
    response = staff.get(grant_url(growth, "admin_limit") + "/cell", headers=HTMX)
    assert response.status_code == 200
    html = text(response)
    assert html.startswith(f'<td id="{cell_id(growth, "admin_limit")}"')
    assert 'hx-confirm="Change plan Growth for 2 tenants?"' in html
    assert f'hx-put="{grant_url(growth, "admin_limit")}"' in html and 'value="5"' in html
    assert f'hx-delete="{grant_url(growth, "admin_limit")}"' in html
    boolean = text(staff.get(grant_url(growth, "automations") + "/cell", headers=HTMX))
    assert '<option value="enabled"' in boolean and '<option value="disabled"' in boolean
    assert "hx-delete" not in boolean  # no grant to remove yet


def test_cell_editor_without_javascript_is_a_page_with_a_plain_form(staff, growth):
    page = text(staff.get(grant_url(growth, "admin_limit") + "/cell"))
    assert "<html" in page and f'method="post" action="{grant_url(growth, "admin_limit")}"' in page


def test_cancel_returns_the_display_cell(staff, growth):
    response = staff.get(grant_url(growth, "admin_limit") + "/cell?view=1", headers=HTMX)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert re.fullmatch(
        rf'<td id="{cell_id(growth, "admin_limit")}"[^>]*><a .*>5</a></td>\s*', text(response), re.S
    )


def grants_version(app, plan) -> int:
    with app.app_context():
        return db.session.get(PlatformPlan, plan.id).grants_version


def test_editing_a_cell_updates_only_that_cell_with_a_toast(app, staff, growth):
    version, before = catalog_version(app), activity_count(app)
    plan_version = grants_version(app, growth)
    response = send(staff, "PUT", grant_url(growth, "admin_limit"), {"value": " 007 "}, htmx=True)
    assert response.status_code == 200
    html = text(response).strip()
    assert html.startswith(f'<td id="{cell_id(growth, "admin_limit")}"') and html.count("<td") == 1
    assert ">7</a>" in html
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast["message"] == "Plan Growth: admin_limit is now 7." and toast["level"] == "success"
    assert grant_values(app) == {("growth", "admin_limit"): "7"}
    assert activity_count(app) == before + 1
    (row,) = activity_rows(app, "platform_plan.grant_set")[-1:]
    assert row.before == {"feature": "admin_limit", "value": "5"}
    assert row.after == {"feature": "admin_limit", "value": "7"}
    assert row.actor_label == "staff@example.com" and row.actor_id is not None
    assert catalog_version(app) == version + 1
    assert grants_version(app, growth) == plan_version + 1


@pytest.mark.parametrize(
    ("slug", "value"),
    [
        ("admin_limit", "1.5"),
        ("admin_limit", "-1"),
        ("admin_limit", "+5"),
        ("admin_limit", "enabled"),
        ("admin_limit", ""),
        ("automations", "unlimited"),
        ("automations", "yes"),
    ],
)
def test_invalid_value_is_422_with_the_error_in_the_cell(app, staff, growth, slug, value):
    before, values = activity_count(app), grant_values(app)
    response = send(staff, "PUT", grant_url(growth, slug), {"value": value}, htmx=True)
    assert response.status_code == 422
    html = text(response)
    assert html.startswith(f'<td id="{cell_id(growth, slug)}"')
    assert re.search(r'<p class="error" role="alert">(Enter a whole number|Choose)', html)
    assert 'hx-confirm="Change plan Growth for 2 tenants?"' in html  # the editor again
    assert grant_values(app) == values and activity_count(app) == before


def test_removing_a_grant(app, staff, growth):
    response = send(staff, "DELETE", grant_url(growth, "admin_limit"), htmx=True)
    assert response.status_code == 200 and "toast" in response.headers["HX-Trigger"]
    assert re.search(rf'id="{cell_id(growth, "admin_limit")}"[^>]*><a [^>]*>—</a>', text(response))
    assert grant_values(app) == {}
    (row,) = activity_rows(app, "platform_plan.grant_removed")
    assert row.before == {"feature": "admin_limit", "value": "5"}
    assert row.after == {"feature": "admin_limit", "value": None}


def test_removing_a_missing_grant_changes_nothing(app, staff, growth):
    before = activity_count(app)
    response = send(staff, "DELETE", grant_url(growth, "automations"), htmx=True)
    assert response.status_code == 200 and ">—</a>" in text(response)
    assert activity_count(app) == before


def test_plain_form_post_sets_and_removes_without_javascript(app, staff, growth):
    response = send(staff, "POST", grant_url(growth, "automations"), {"value": "enabled"})
    assert response.status_code == 303 and response.headers["Location"] == "/platform/plans/matrix"
    assert grant_values(app)[("growth", "automations")] == "enabled"
    assert "automations is now enabled" in text(staff.get("/platform/plans/matrix"))
    removal = {"value": "enabled", "remove": "remove"}
    assert send(staff, "POST", grant_url(growth, "automations"), removal).status_code == 303
    assert ("growth", "automations") not in grant_values(app)
    refused = send(staff, "POST", grant_url(growth, "admin_limit"), {"value": "1e3"})
    assert refused.status_code == 422 and "<html" in text(refused)


@pytest.mark.parametrize(
    "path",
    [
        "/platform/plans/{uuid}/grants/nope/cell",
        "/platform/plans/00000000-0000-0000-0000-000000000000/grants/automations/cell",
        "/platform/plans/junk/grants/automations/cell",
    ],
)
def test_unknown_plan_or_feature_in_a_cell_url_is_404(app, staff, growth, path):
    path = path.format(uuid=growth.uuid)
    assert staff.get(path).status_code == 404
    put = send(staff, "PUT", path.removesuffix("/cell"), {"value": "enabled"}, htmx=True)
    assert put.status_code == 404 and grant_values(app) == {("growth", "admin_limit"): "5"}


def test_a_grant_change_reaches_the_tenants_on_the_plan(app, staff, growth):
    with app.app_context():
        tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.platform_plan_id == growth.id))

    def check():
        with in_platform(app):
            tenant = get_tenant(tenant_id)
            return features.limit(tenant, "admin_limit"), features.enabled(tenant, "automations")

    assert check() == (5, False)
    send(staff, "PUT", grant_url(growth, "admin_limit"), {"value": "unlimited"}, htmx=True)
    send(staff, "PUT", grant_url(growth, "automations"), {"value": "enabled"}, htmx=True)
    assert check() == (features.UNLIMITED, True)
    send(staff, "PUT", grant_url(growth, "automations"), {"value": "disabled"}, htmx=True)
    send(staff, "DELETE", grant_url(growth, "admin_limit"), htmx=True)
    assert check() == (None, False)
