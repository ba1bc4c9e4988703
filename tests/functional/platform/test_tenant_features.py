"""A tenant's features tab (spec 20 §11.4, §11.6, §13; §15 items 28, 32, 39, 41): overrides with
their 422s, explain with the cache audit and purge, the editor limits, the custom-app header, the
plan-change preview and the plan change itself."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import cache, db
from app.models.activity import Activity
from app.models.base import utcnow
from app.models.features import PlatformPlan, TenantFeature
from app.models.tenancy import Tenant
from services import features
from services.features import crawler, definitions, grants, overrides
from services.features.resolution import map_key, maps
from services.tenancy.resolver import get_tenant
from tests.factories import ACTOR
from tests.functional.conftest import PLATFORM_HOST, host_of, in_platform, text
from tests.support.hosts import HostClient
from tests.support.htmx import location_path

HTMX = {"HX-Request": "true"}
GROWTH = {
    "admin_limit": "unlimited",
    "issues_limit": "1000",
    "automations": "enabled",
    "maximum_discount_coupon_amount_limit": "80",
}
STARTER = {"admin_limit": "5", "issues_limit": "500", "discount_coupons": "enabled"}


def _plan(slug: str, name: str, granted: dict) -> PlatformPlan:
    plan = definitions.create_plan(ACTOR, slug=slug, name=name)
    for feature, value in granted.items():
        grants.set_grant(ACTOR, plan, definitions.find_feature(feature), value)
    return plan


@pytest.fixture
def plans(app):
    with in_platform(app):
        return _plan("growth", "Growth", GROWTH), _plan("starter", "Starter", STARTER)


@pytest.fixture
def tenant(app, make_tenant, plans):
    """Book Co, active, on plan Growth."""
    row = make_tenant(slug="bookco", name="Book Co")
    with in_platform(app):
        grants.assign_plan(ACTOR, db.session.get(Tenant, row.id), plans[0])
    return row


def url(tenant, tail: str = "") -> str:
    return f"/platform/tenants/{tenant.uuid}/features{tail}"


def post(client, path: str, data: dict, htmx: bool = True):
    token = client.csrf(path) if not htmx else client.csrf("/platform/tenants")
    headers = HTMX if htmx else None
    return client.post(path, data={"csrf_token": token, **data}, headers=headers)


def tenant_row(app, tenant) -> Tenant:
    with app.app_context():
        return db.session.get(Tenant, tenant.id)


def overrides_of(app, tenant) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(TenantFeature).where(TenantFeature.tenant_id == tenant.id))
        return [(r.feature.slug, r.value) for r in rows]


def activity_rows(app, action: str) -> list[Activity]:
    with app.app_context():
        return list(db.session.scalars(select(Activity).where(Activity.action == action)))


def enabled(app, tenant, slug: str) -> bool:
    with app.app_context():
        return features.enabled(get_tenant(tenant.id), slug)


# -- the tab ---------------------------------------------------------------------------------


def test_tab_page_and_fragment(staff, tenant):
    page = staff.get(url(tenant))
    fragment = staff.get(url(tenant), headers=HTMX)
    for response in (page, fragment):
        assert response.status_code == 200
        assert "HX-Request" in response.headers["Vary"]
        assert 'id="decided-automations">granted by plan Growth<' in text(response)
        assert 'id="decided-discount_coupons">denied: no grant in plan Growth<' in text(response)
        assert 'id="result-issues_limit">1000<' in text(response)
    assert "<html" in text(page) and 'id="current-plan">Growth<' in text(page)
    assert text(fragment).startswith('<div id="tenant-features"') and "<html" not in text(fragment)
    detail = staff.get(f"/platform/tenants/{tenant.uuid}")
    assert f'href="{url(tenant)}"' in text(detail)


def test_unknown_tenant_feature_or_plan_is_404(staff, tenant):
    other = uuid.uuid4()
    assert staff.get(f"/platform/tenants/{other}/features").status_code == 404
    assert staff.get("/platform/tenants/not-a-uuid/features").status_code == 404
    assert staff.get(url(tenant, "/nope/explain")).status_code == 404
    assert staff.get(url(tenant, "/nope/override")).status_code == 404
    assert post(staff, url(tenant, "/nope/override"), {"value": "enabled"}).status_code == 404
    assert staff.get(url(tenant, "/automations/remove-override")).status_code == 404
    preview = f"/platform/tenants/{tenant.uuid}/plan-preview"
    assert staff.get(f"{preview}?plan={other}").status_code == 404
    assert staff.get(f"{preview}?plan=junk").status_code == 404


def test_tenant_admin_never_reaches_the_tab(app, make_user, signed_in, tenant):
    admin = make_user(tenant=tenant, admin=True)
    client = signed_in(host_of(tenant), admin.email)
    assert client.get(url(tenant)).status_code == 404
    response = client.post(url(tenant, "/automations/override"), data={"value": "disabled"})
    assert response.status_code in (400, 404)
    assert overrides_of(app, tenant) == []
    refused = HostClient(app.test_client(), PLATFORM_HOST).login(
        admin.email, path="/platform/login"
    )
    assert refused.status_code != 303


# -- set and remove overrides ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": "yes"}, "Choose &#39;enabled&#39; or &#39;disabled&#39;."),
        ({"reason": "shrt"}, "Give a reason of 5 to 500 characters."),
        ({"expires_at": "2001-01-01T10:00"}, "The expiry must be in the future."),
    ],
)
def test_bad_override_is_422_and_saves_nothing(app, staff, tenant, fields, message):
    version = tenant_row(app, tenant).version
    data = {"value": "disabled", "reason": "Contract ended in March", **fields}
    response = post(staff, url(tenant, "/automations/override"), data)
    assert response.status_code == 422
    assert text(response).startswith('<div id="feature-dialog"') and message in text(response)
    assert overrides_of(app, tenant) == []
    assert activity_rows(app, "tenant.override_set") == []
    assert tenant_row(app, tenant).version == version


def test_good_override_changes_the_result_with_one_activity_row(app, staff, staff_user, tenant):
    dialog = staff.get(url(tenant, "/discount_coupons/override"), headers=HTMX)
    assert dialog.status_code == 200 and '<option value="enabled"' in text(dialog)
    assert not enabled(app, tenant, "discount_coupons")
    version = tenant_row(app, tenant).version
    expires = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    data = {"value": "enabled", "reason": "Pilot customer for coupons", "expires_at": expires}
    response = post(staff, url(tenant, "/discount_coupons/override"), data)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#tenant-features"
    assert json.loads(response.headers["HX-Trigger"])["toast"]["level"] == "success"
    assert text(response).startswith('<div id="tenant-features"')
    assert 'id="decided-discount_coupons">granted by override (expires ' in text(response)
    assert f"by {staff_user.name}, " in text(response)
    assert overrides_of(app, tenant) == [("discount_coupons", "enabled")]
    (row,) = activity_rows(app, "tenant.override_set")
    assert row.actor_id == staff_user.id and row.tenant_id == tenant.id
    assert row.before == {"feature": "discount_coupons", "value": None}
    assert row.after["value"] == "enabled" and row.after["reason"] == "Pilot customer for coupons"
    assert tenant_row(app, tenant).version > version
    assert enabled(app, tenant, "discount_coupons")


def test_override_without_javascript_redirects_to_the_tab(app, staff, tenant):
    path = url(tenant, "/issues_limit/override")
    response = post(staff, path, {"value": "007", "reason": "Extra room for a launch"}, False)
    assert response.status_code == 303 and response.headers["Location"] == url(tenant)
    assert overrides_of(app, tenant) == [("issues_limit", "7")]
    page = staff.get(url(tenant))
    assert 'id="result-issues_limit">7<' in text(page) and "Extra room for a launch" in text(page)


def test_remove_override_needs_a_reason(app, staff, tenant):
    with in_platform(app):
        row = db.session.get(Tenant, tenant.id)
        feature = definitions.find_feature("automations")
        overrides.set_override(ACTOR, row, feature, "disabled", "Contract ended")
    path = url(tenant, "/automations/remove-override")
    dialog = staff.get(path, headers=HTMX)
    assert dialog.status_code == 200 and "Remove override" in text(dialog)
    assert "disabled: Contract ended (by tests)" in text(dialog)  # no user: the actor's label
    short = post(staff, path, {"reason": "no"})
    assert short.status_code == 422 and "Give a reason of 5 to 500" in text(short)
    assert overrides_of(app, tenant) == [("automations", "disabled")]
    assert not enabled(app, tenant, "automations")
    done = post(staff, path, {"reason": "Contract renewed today"})
    assert done.status_code == 200 and overrides_of(app, tenant) == []
    (removed,) = activity_rows(app, "tenant.override_removed")
    assert removed.before["value"] == "disabled" and removed.after["value"] is None
    assert enabled(app, tenant, "automations")


def test_platform_controlled_feature_offers_only_disabled(app, staff, tenant):
    dialog = text(staff.get(url(tenant, "/storefront_search/override"), headers=HTMX))
    assert '<option value="disabled"' in dialog and '<option value="enabled"' not in dialog
    assert 'id="override-platform"' in dialog
    data = {"value": "enabled", "reason": "Would change nothing"}
    response = post(staff, url(tenant, "/storefront_search/override"), data)
    assert response.status_code == 422 and "Only &#39;disabled&#39;" in text(response)
    assert overrides_of(app, tenant) == []
    data["value"] = "disabled"
    assert post(staff, url(tenant, "/storefront_search/override"), data).status_code == 200
    assert overrides_of(app, tenant) == [("storefront_search", "disabled")]


def test_deprecating_feature_has_the_editor_disabled(app, staff, tenant):
    with in_platform(app):
        feature = definitions.find_feature("physicals_goods")
        definitions.update_feature(ACTOR, feature, deprecating=True)
    page = text(staff.get(url(tenant)))
    assert "on for everyone while deprecating" in page
    dialog = text(staff.get(url(tenant, "/physicals_goods/override"), headers=HTMX))
    assert 'id="override-locked"' in dialog and "<fieldset disabled>" in dialog
    data = {"value": "disabled", "reason": "Trying anyway"}
    response = post(staff, url(tenant, "/physicals_goods/override"), data)
    assert response.status_code == 422 and "deprecating" in text(response)
    assert overrides_of(app, tenant) == []


# -- explain and the cache audit -------------------------------------------------------------


def test_explain_expands_the_row_with_the_steps(staff, tenant):
    response = staff.get(url(tenant, "/admin_limit/explain"), headers=HTMX)
    html = text(response)
    assert response.status_code == 200 and html.startswith('<tr id="explain-admin_limit"')
    order = ["rule 2", "rule 3", "rule 4", "rule 5", "rule 6", "rule 7", "value"]
    positions = [html.index(f"<code>{rule}</code>") for rule in order]
    assert positions == sorted(positions)
    assert "granted by plan Growth, value unlimited" in html
    assert "Cache agrees" in html and "cache stale" not in html
    page = text(staff.get(url(tenant, "/admin_limit/explain")))
    assert "<html" in page and '<tr id="explain-admin_limit" class="explain">' in page


def test_stale_cache_is_shown_and_purge_fixes_it(app, staff, tenant):
    with app.app_context():
        context = get_tenant(tenant.id)
        current = maps.get(context)
        wrong = dataclasses.replace(current.entries["automations"], granted=False)
        stale = dataclasses.replace(current, entries={**current.entries, "automations": wrong})
        maps.drop(tenant.id)
        cache.set(map_key(tenant.id), stale.to_json(), 60)
    html = text(staff.get(url(tenant, "/automations/explain"), headers=HTMX))
    assert "cache stale" in html and url(tenant, "/automations/purge") in html
    response = post(staff, url(tenant, "/automations/purge"), {})
    assert response.status_code == 200
    assert "Cache agrees" in text(response) and "cache stale" not in text(response)
    assert len(activity_rows(app, "tenant.feature_cache_purged")) == 1
    assert enabled(app, tenant, "automations")


# -- the custom-app header -------------------------------------------------------------------


def test_custom_app_header_only_with_a_secret_and_never_the_secret(
    app, staff, staff_user, tenant, other_app
):
    assert "X-Custom-App-Tenant-Id" not in text(staff.get(url(tenant)))
    secrets = "newest-bypass-secret-1234,older-bypass-secret-5678"
    other = other_app(CRAWLER_BYPASS_SECRET=secrets)
    client = HostClient(other.test_client(), PLATFORM_HOST)
    assert client.login(staff_user.email, path="/platform/login").status_code == 303
    html = text(client.get(url(tenant)))
    expected = crawler.custom_app_header_value("newest-bypass-secret-1234", str(tenant.uuid))
    assert f"X-Custom-App-Tenant-Id: {expected}" in html
    assert "newest-bypass-secret-1234" not in html and "older-bypass-secret-5678" not in html


# -- the plan-change preview and the plan change ---------------------------------------------


def test_plan_preview_lists_gains_losses_changes_and_exceeded_quotas(
    app, staff, tenant, plans, make_user
):
    for _ in range(7):
        make_user(tenant=tenant, admin=True)
    path = f"/platform/tenants/{tenant.uuid}/plan-preview?plan={plans[1].uuid}"
    fragment = staff.get(path, headers=HTMX)
    html = text(fragment)
    assert fragment.status_code == 200 and html.startswith('<div id="plan-preview"')
    gained = html[html.index('id="preview-gained"') : html.index('id="preview-lost"')]
    lost = html[html.index('id="preview-lost"') : html.index('id="preview-changed"')]
    changed = html[html.index('id="preview-changed"') : html.index('id="preview-exceeded"')]
    exceeded = html[html.index('id="preview-exceeded"') :]
    assert "discount_coupons" in gained and "automations" not in gained
    assert "automations" in lost and "maximum_discount_coupon_amount_limit" in lost
    assert "admin_limit</code>: Unlimited → 5" in changed
    assert "issues_limit</code>: 1000 → 500" in changed
    assert "7 administrators, new limit 5" in exceeded
    assert f'name="reviewed" value="{plans[1].uuid}"' in html
    page = staff.get(path)
    assert "<html" in text(page) and "7 administrators, new limit 5" in text(page)


def test_plan_preview_counts_overrides(app, staff, tenant, plans):
    with in_platform(app):
        row = db.session.get(Tenant, tenant.id)
        feature = definitions.find_feature("automations")
        overrides.set_override(ACTOR, row, feature, "enabled", "Pilot customer")
    path = f"/platform/tenants/{tenant.uuid}/plan-preview?plan={plans[1].uuid}"
    html = text(staff.get(path, headers=HTMX))
    lost = html[html.index('id="preview-lost"') : html.index('id="preview-changed"')]
    assert "automations" not in lost
    assert "kept by the tenant&#39;s override" in html


def test_plan_change_requires_confirming_the_preview(app, staff, staff_user, tenant, plans):
    path = f"/platform/tenants/{tenant.uuid}/plan"
    starter = str(plans[1].uuid)
    for reviewed in ("", str(plans[0].uuid)):
        response = post(staff, path, {"plan": starter, "reviewed": reviewed})
        assert response.status_code == 422
        assert text(response).startswith('<form id="plan-change"')
        assert "Load the preview of this plan" in text(response)
    same = post(staff, path, {"plan": str(plans[0].uuid), "reviewed": str(plans[0].uuid)})
    assert same.status_code == 422 and "already on this platform plan" in text(same)
    assert tenant_row(app, tenant).platform_plan_id == plans[0].id
    assert len(activity_rows(app, "tenant.plan_changed")) == 1  # the fixture's assignment
    version = tenant_row(app, tenant).version
    done = post(staff, path, {"plan": starter, "reviewed": starter})
    assert done.status_code == 200 and location_path(done) == url(tenant)
    assert tenant_row(app, tenant).platform_plan_id == plans[1].id
    assert tenant_row(app, tenant).version > version
    _, changed = sorted(activity_rows(app, "tenant.plan_changed"), key=lambda a: a.id)
    assert changed.actor_id == staff_user.id
    assert changed.before == {"platform_plan_id": plans[0].id}
    assert changed.after == {"platform_plan_id": plans[1].id}
    assert enabled(app, tenant, "discount_coupons") and not enabled(app, tenant, "automations")


def test_plan_select_loads_the_preview(staff, tenant, plans):
    html = text(staff.get(url(tenant)))
    preview = f"/platform/tenants/{tenant.uuid}/plan-preview"
    assert f'hx-get="{preview}"' in html and 'name="plan"' in html
    assert f'<option selected value="{plans[0].uuid}">Growth</option>' in html


def test_the_tenant_edit_page_offers_the_plan_change_with_its_preview(staff, tenant, plans):
    html = text(staff.get(f"/platform/tenants/{tenant.uuid}/edit"))
    plan_section = html[html.index('id="platform-plan"') :]
    assert "Now on <strong>Growth</strong>" in plan_section
    assert f'hx-get="/platform/tenants/{tenant.uuid}/plan-preview"' in plan_section
    assert f'action="/platform/tenants/{tenant.uuid}/plan"' in plan_section


def test_no_row_is_written_twice_for_one_override(app, staff, tenant):
    data = {"value": "25", "reason": "Bigger catalogue for a while"}
    assert post(staff, url(tenant, "/issues_limit/override"), data).status_code == 200
    data["value"] = "30"
    assert post(staff, url(tenant, "/issues_limit/override"), data).status_code == 200
    with app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(TenantFeature)
            .where(TenantFeature.tenant_id == tenant.id)
        )
    assert count == 1
    second = activity_rows(app, "tenant.override_set")[-1]
    assert second.before["value"] == "25" and second.after["value"] == "30"
