"""View gates and template helpers of the features area (spec 20 §6.2, §7, §9; §15 item 34)."""

from __future__ import annotations

import pytest
from flask import jsonify, render_template_string

from app.extensions import db
from app.models.features import PlatformPlan
from app.models.tenancy import Tenant
from blueprints.feature_gates import request_signals, require_feature, require_switch
from services import activity, users
from services.errors import UnknownFeature, UnknownKillSwitch
from services.features import definitions, grants, kill_switches
from services.features.crawler import custom_app_header_value
from services.tenancy.context import current_tenant_id
from tests.functional.conftest import PLATFORM_HOST, error_code, host_of, in_platform, text
from tests.support.hosts import HostClient

ACTOR = activity.Actor(label="tests")
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HELPERS = (
    "{{ feature('discount_coupons') }}|{{ feature('storefront_search') }}|"
    "{{ format_limit(feature_limit('admin_limit')) }}|"
    "{{ format_limit(feature_limit('issues_limit')) }}|{{ platform_enabled('payment_sync') }}"
)


def coupons():
    return "the coupons page"


def signals():
    first, second = request_signals(), request_signals()
    return jsonify(same=first is second, crawler=first.is_crawler, tenant=first.tenant_uuid)


def invite():
    """A view that lets QuotaExceeded through, as an API view may (the error handler maps it)."""
    users.create_user(
        ACTOR, current_tenant_id(), email="new-admin@example.com", name="New", role="admin"
    )
    db.session.commit()
    return jsonify(ok=True)


@pytest.fixture
def gated(other_app):
    """An app with a few gated views; CRAWLER_BYPASS_SECRET holds a new and an old secret."""
    built = other_app(CRAWLER_BYPASS_SECRET="new-secret, old-secret")
    built.add_url_rule("/coupons", "coupons", require_feature("discount_coupons")(coupons))
    built.add_url_rule("/api/coupons", "api_coupons", require_feature("discount_coupons")(coupons))
    built.add_url_rule(
        "/api/sync", "sync", require_switch("payment_sync")(lambda: jsonify(ok=True))
    )
    paused = require_switch("analytics_ingestion", code="ingestion_paused", retry_after=120)
    built.add_url_rule("/api/track", "track", paused(lambda: jsonify(ok=True)))
    built.add_url_rule("/helpers", "helpers", lambda: render_template_string(HELPERS))
    built.add_url_rule("/signals", "signals", signals)
    built.add_url_rule("/invite", "invite", invite)
    built.add_url_rule("/api/invite", "api_invite", invite)
    return built


@pytest.fixture
def alpha(make_tenant):
    return make_tenant(slug="alpha", name="Alpha Books")


def on_plan(app, tenant, values: dict[str, str]) -> int:
    with in_platform(app):
        plan = definitions.create_plan(ACTOR, slug="growth", name="Growth")
        for slug, value in values.items():
            grants.set_grant(ACTOR, plan, definitions.find_feature(slug), value)
        grants.assign_plan(ACTOR, db.session.get(Tenant, tenant.id), plan)
        return plan.id


def set_grant(app, plan_id: int, slug: str, value: str) -> None:
    with in_platform(app):
        plan = db.session.get(PlatformPlan, plan_id)
        grants.set_grant(ACTOR, plan, definitions.find_feature(slug), value)


def switch_off(app, name: str) -> None:
    with in_platform(app):
        kill_switches.toggle_switch(ACTOR, name, False, "a reason of ten characters")


def site(gated, tenant, user_agent: str = BROWSER) -> HostClient:
    client = HostClient(gated.test_client(), host_of(tenant))
    client.client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


# -- require_feature -------------------------------------------------------------------------


def test_granted_feature_lets_the_view_run(app, gated, alpha):
    on_plan(app, alpha, {"discount_coupons": "enabled"})
    response = site(gated, alpha).get("/coupons")
    assert response.status_code == 200 and text(response) == "the coupons page"


def test_denied_feature_is_a_403_page_with_a_link_to_the_features_page(gated, alpha):
    response = site(gated, alpha).get("/coupons")
    assert response.status_code == 403
    page = text(response)
    assert "<html" in page
    assert "This feature is not included in your platform plan" in page
    assert 'href="/dashboard/features"' in page
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"


def test_denied_feature_over_htmx_is_a_403_fragment_htmx_swaps(gated, alpha):
    response = site(gated, alpha).get("/coupons", headers={"HX-Request": "true"})
    assert response.status_code == 403
    fragment = text(response)
    assert fragment.startswith('<p class="error" role="alert" id="feature-denied"')
    assert "not included in your platform plan" in fragment and "<html" not in fragment
    # The base layout tells htmx to swap 403 answers, so the fragment shows where it was asked.
    page = text(site(gated, alpha).get("/coupons"))
    assert '{"code":"403","swap":true' in page


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/api/coupons", {}), ("/coupons", {"Accept": "application/json"})],
)
def test_denied_feature_on_a_json_route_is_a_json_403(gated, alpha, path, headers):
    response = site(gated, alpha).get(path, headers=headers)
    assert response.status_code == 403
    assert response.get_json() == {"error": "feature_not_available", "feature": "discount_coupons"}


def test_browser_accept_header_gets_the_page_not_json(gated, alpha):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = site(gated, alpha).get("/coupons", headers={"Accept": accept})
    assert response.status_code == 403 and response.mimetype == "text/html"


def test_no_tenant_means_no_feature(gated):
    client = HostClient(gated.test_client(), PLATFORM_HOST)
    response = client.get("/api/coupons")
    assert response.status_code == 403
    assert error_code(response) == "feature_not_available"


def test_unknown_names_fail_when_the_view_is_declared():
    with pytest.raises(UnknownFeature):
        require_feature("discount_coupon")
    with pytest.raises(UnknownKillSwitch):
        require_switch("payment_synk")


# -- require_switch --------------------------------------------------------------------------


def test_switch_on_lets_the_view_run(gated, alpha):
    assert site(gated, alpha).get("/api/sync").get_json() == {"ok": True}


def test_switch_off_answers_503_with_retry_after(app, gated, alpha):
    switch_off(app, "payment_sync")
    response = site(gated, alpha).get("/api/sync")
    assert response.status_code == 503
    assert response.get_json() == {"error": "temporarily_disabled", "control": "payment_sync"}
    assert response.headers["Retry-After"] == "60"


def test_switch_guard_with_its_own_code_and_delay(app, gated, alpha):
    switch_off(app, "analytics_ingestion")
    response = site(gated, alpha).get("/api/track")
    assert response.status_code == 503
    assert response.get_json() == {"error": "ingestion_paused", "control": "analytics_ingestion"}
    assert response.headers["Retry-After"] == "120"


# -- template helpers and request signals ----------------------------------------------------


def test_template_helpers_answer_for_the_current_tenant(app, gated, alpha):
    growth = on_plan(app, alpha, {"discount_coupons": "enabled", "admin_limit": "unlimited"})
    assert text(site(gated, alpha).get("/helpers")) == "True|True|Unlimited|Not included|True"
    set_grant(app, growth, "admin_limit", "5")
    switch_off(app, "payment_sync")
    assert text(site(gated, alpha).get("/helpers")) == "True|True|5|Not included|False"


def test_template_feature_applies_the_crawler_gate(app, gated, alpha):
    on_plan(app, alpha, {"discount_coupons": "enabled"})
    crawler = text(site(gated, alpha, GOOGLEBOT).get("/helpers"))
    assert crawler.startswith("True|False|")  # coupons unaffected, search hidden from crawlers


def test_template_helpers_outside_a_tenant(gated):
    page = text(HostClient(gated.test_client(), PLATFORM_HOST).get("/helpers"))
    assert page == "False|False|Not included|Not included|True"


def test_request_signals_are_built_once_per_request(gated, alpha):
    data = site(gated, alpha).get("/signals").get_json()
    assert data == {"same": True, "crawler": False, "tenant": str(alpha.uuid)}


@pytest.mark.parametrize(
    ("headers", "crawler"),
    [
        ({}, True),
        ({"X-Bypass-Crawler-Detection": "new-secret"}, False),
        ({"X-Bypass-Crawler-Detection": "old-secret"}, False),
        ({"X-Bypass-Crawler-Detection": "wrong"}, True),
    ],
)
def test_bypass_header_uses_the_configured_secrets(gated, alpha, headers, crawler):
    response = site(gated, alpha, GOOGLEBOT).get("/signals", headers=headers)
    assert response.get_json()["crawler"] is crawler


def test_custom_app_header_names_the_current_tenant(gated, alpha, make_tenant):
    """An empty User-Agent is a crawler unless the custom-app header vouches for the request."""
    beta = make_tenant(slug="beta")
    value = custom_app_header_value("old-secret", str(alpha.uuid))
    headers = {"X-Custom-App-Tenant-Id": value}
    on_alpha = site(gated, alpha, "").get("/signals", headers=headers)
    on_beta = site(gated, beta, "").get("/signals", headers=headers)
    assert on_alpha.get_json()["crawler"] is False
    assert on_beta.get_json()["crawler"] is True


# -- quota refusals a view did not handle ----------------------------------------------------


def test_quota_refusal_on_an_api_route_is_a_json_403(app, gated, alpha, make_user):
    on_plan(app, alpha, {"admin_limit": "1"})
    make_user(tenant=alpha, admin=True)
    response = site(gated, alpha).get("/api/invite")
    assert response.status_code == 403
    assert response.get_json() == {
        "error": "quota_exceeded",
        "feature": "admin_limit",
        "limit": 1,
        "current": 1,
    }
    with app.app_context():
        assert users.count_active_admins(alpha.id) == 1


def test_quota_refusal_on_a_page_shows_the_message(app, gated, alpha, make_user):
    make_user(tenant=alpha, admin=True)
    page = site(gated, alpha).get("/invite")
    assert page.status_code == 403
    assert "Not included in your platform plan." in text(page) and "<html" in text(page)
    fragment = site(gated, alpha).get("/invite", headers={"HX-Request": "true"})
    assert fragment.status_code == 403
    assert text(fragment).startswith('<p class="error" role="alert" id="quota-error"')
