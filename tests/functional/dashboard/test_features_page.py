"""The tenant's read-only features page and its lazy usage bars (spec 20 §11.1; §15 items 33,
34, 37)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models.base import utcnow
from app.models.features import PlatformPlan
from app.models.tenancy import Tenant
from services import activity
from services.features import definitions, grants, kill_switches, overrides
from services.features.overview import usage_level
from services.tenancy import touch
from tests.functional.conftest import element, host_of, in_platform, text

ACTOR = activity.Actor(label="Ana Pérez")  # a staff name the tenant must never see
SWITCH_REASON = "database overload on the search cluster"
OVERRIDE_REASON = "contract ended for automations"
USAGE_URL = "/dashboard/features/usage"
HTMX = {"HX-Request": "true"}


def make_plan(app, slug: str, name: str, values: dict[str, str]) -> int:
    with in_platform(app):
        plan = definitions.create_plan(ACTOR, slug=slug, name=name)
        for feature, value in values.items():
            grants.set_grant(ACTOR, plan, definitions.find_feature(feature), value)
        return plan.id


def put_on_plan(app, tenant, plan_id: int | None) -> None:
    with in_platform(app):
        plan = db.session.get(PlatformPlan, plan_id) if plan_id else None
        grants.assign_plan(ACTOR, db.session.get(Tenant, tenant.id), plan)


def set_grant(app, plan_id: int, feature: str, value: str) -> None:
    with in_platform(app):
        plan = db.session.get(PlatformPlan, plan_id)
        grants.set_grant(ACTOR, plan, definitions.find_feature(feature), value)


@pytest.fixture
def growth(app):
    return make_plan(
        app,
        "growth",
        "Growth",
        {
            "admin_limit": "5",
            "discount_coupons": "enabled",
            "maximum_discount_coupon_amount_limit": "80",
        },
    )


@pytest.fixture
def alpha(app, make_tenant, growth):
    tenant = make_tenant(slug="alpha", name="Alpha Books")
    put_on_plan(app, tenant, growth)
    return tenant


@pytest.fixture
def admin(alpha, make_user, signed_in):
    """An admin of alpha signed in, with a second admin beside them (2 of 5)."""
    first = make_user(tenant=alpha, admin=True)
    make_user(tenant=alpha, admin=True)
    return signed_in(host_of(alpha), first.email)


def row(page: str, element_id: str, end: str = "</tr>") -> str:
    """The markup from the element's id to the first `end` after it."""
    start = page.index(f'id="{element_id}"')
    return page[start : page.index(end, start)]


# -- the page --------------------------------------------------------------------------------


def test_page_shows_each_feature_with_its_state_and_source(admin):
    response = admin.get("/dashboard/features")
    assert response.status_code == 200
    page = text(response)
    coupons = row(page, "feature-discount_coupons")
    assert "On" in coupons and "Included in your platform plan Growth" in coupons
    automations = row(page, "feature-automations")
    assert ">Off<" in automations and "Not included in your platform plan" in automations
    search = row(page, "feature-storefront_search")
    assert ">On<" in search and "Available to every store" in search
    assert "5" in row(page, "limit-admin_limit")
    assert "Included in your platform plan Growth" in row(page, "limit-admin_limit")
    assert "up to 80 %" in row(page, "limit-maximum_discount_coupon_amount_limit")
    assert "Not included" in row(page, "limit-issues_limit")
    assert "Growth" in element(page, "platform-plan")
    assert "Contact support" in page
    assert 'id="trial-banner"' not in page


def test_page_has_no_form_and_loads_usage_lazily(admin):
    page = text(admin.get("/dashboard/features"))
    assert "<form" not in page
    assert f'hx-get="{USAGE_URL}" hx-trigger="load"' in page
    assert " of 5 administrators" not in page  # counting waits for the lazy request
    assert '<a href="/dashboard/features" aria-current="page">Features</a>' in page


def test_post_to_the_page_is_405(admin):
    token = admin.csrf("/dashboard/")
    for path in ("/dashboard/features", USAGE_URL):
        response = admin.post(path, data={"csrf_token": token})
        assert response.status_code == 405, path
        assert response.headers["Allow"] == "GET, HEAD"


def test_usage_fragment_over_htmx_and_usage_page_without_javascript(admin):
    fragment = admin.get(USAGE_URL, headers=HTMX)
    assert fragment.status_code == 200
    assert text(fragment).startswith('<div id="feature-usage">')
    assert "<html" not in text(fragment)
    assert "2 of 5 administrators" in text(fragment)
    assert "HX-Request" in fragment.headers["Vary"]
    page = admin.get(USAGE_URL)
    assert page.status_code == 200
    assert "<html" in text(page) and "2 of 5 administrators" in text(page)
    assert "HX-Request" in page.headers["Vary"]


@pytest.mark.parametrize(
    ("limit", "shown", "label"),
    [
        ("3", "2 of 3 administrators", ""),
        ("2", "2 of 2 administrators", "Limit reached"),
        ("1", "2 of 1 administrators", "Over limit"),
        ("unlimited", "2 administrators, no limit", ""),
    ],
)
def test_usage_bar_levels(app, admin, growth, limit, shown, label):
    set_grant(app, growth, "admin_limit", limit)
    usage = row(text(admin.get(USAGE_URL, headers=HTMX)), "usage-admin_limit", "</div>")
    assert shown in usage
    for other in ("Limit reached", "Over limit", "Nearly at the limit"):
        assert (other in usage) == (other == label)


def test_lowering_the_limit_removes_nobody_and_shows_over_limit(app, admin, growth):
    set_grant(app, growth, "admin_limit", "1")
    assert "Over limit" in text(admin.get(USAGE_URL, headers=HTMX))
    assert admin.get("/dashboard/").status_code == 200  # both admins still get in


def test_switch_off_shows_temporarily_unavailable_without_reason_or_staff_name(app, admin, alpha):
    with in_platform(app):
        kill_switches.toggle_switch(ACTOR, "storefront_search", False, SWITCH_REASON)
        overrides.set_override(
            ACTOR,
            db.session.get(Tenant, alpha.id),
            definitions.find_feature("automations"),
            "disabled",
            OVERRIDE_REASON,
        )
    page = text(admin.get("/dashboard/features"))
    assert "Temporarily unavailable" in row(page, "feature-storefront_search")
    assert "Turned off for your account" in row(page, "feature-automations")
    for secret in (SWITCH_REASON, OVERRIDE_REASON, "Ana Pérez", "Pérez", "P&#233;rez"):
        assert secret not in page


def test_trial_banner_and_trial_source_in_the_tenants_time_zone(
    app, make_tenant, make_user, signed_in
):
    tenant = make_tenant(slug="trying", timezone="Asia/Tokyo", trial=True)
    ends = utcnow().replace(hour=20, minute=30, second=0, microsecond=0) + timedelta(days=3)
    with in_platform(app):
        db.session.get(Tenant, tenant.id).trial_ends_at = ends
        db.session.flush()
        touch(tenant.id)
        definitions.update_feature(
            ACTOR, definitions.find_feature("discount_coupons"), accessible_during_trial=True
        )
    local = ends + timedelta(hours=9)  # Tokyo keeps no daylight saving time
    client = signed_in(host_of(tenant), make_user(tenant=tenant, admin=True).email)
    page = text(client.get("/dashboard/features"))
    assert f"{local:%Y-%m-%d %H:%M} (Asia/Tokyo)" in element(page, "trial-banner")
    coupons = row(page, "feature-discount_coupons")
    assert f"Included in your trial until {local:%Y-%m-%d}" in coupons


def test_deprecating_features_are_listed_once_under_included_for_everyone(app, admin):
    with in_platform(app):
        definitions.update_feature(ACTOR, definitions.find_feature("automations"), deprecating=True)
    page = text(admin.get("/dashboard/features"))
    everyone = page[page.index('id="everyone-section"') :]
    assert "Medusa Automations" in everyone
    assert page.count('id="feature-automations"') == 1


# -- who sees what ---------------------------------------------------------------------------


def test_reader_is_refused(alpha, make_user, signed_in):
    reader = make_user(tenant=alpha)
    client = signed_in(host_of(alpha), reader.email)
    assert client.get("/dashboard/features").status_code == 403
    fragment = client.get(USAGE_URL, headers=HTMX)
    assert fragment.status_code == 403
    assert 'id="forbidden-error"' in text(fragment) and "<html" not in text(fragment)
    assert "2 of 5" not in text(fragment)


def test_anonymous_is_sent_to_login(host_client, alpha):
    response = host_client(host_of(alpha)).get("/dashboard/features")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/dashboard/features"


def test_tenant_b_sees_only_its_own_plan_and_usage(admin, make_tenant, make_user, signed_in):
    beta = make_tenant(slug="beta", name="Beta Press")
    beta_admin = make_user(tenant=beta, admin=True)
    client = signed_in(host_of(beta), beta_admin.email)
    page = text(client.get("/dashboard/features"))
    assert "Growth" not in page
    assert "Not included" in row(page, "limit-admin_limit")
    usage = text(client.get(USAGE_URL, headers=HTMX))
    assert "1 administrators; not included in your platform plan" in usage
    assert "2 of 5" not in usage
    assert "Over limit" in usage


@pytest.mark.parametrize(
    ("current", "limit", "level"),
    [
        (3, 5, "normal"),
        (4, 5, "warning"),
        (99, 100, "warning"),
        (5, 5, "reached"),
        (6, 5, "over"),
        (0, 0, "reached"),
        (1, None, "over"),
    ],
)
def test_usage_levels_follow_the_thresholds(current, limit, level):
    assert usage_level(current, limit)[0] == level
