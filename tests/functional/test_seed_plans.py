"""`seed-demo` and the features area (spec 20 §4.2): demo platform plans with their grants, trial
settings that never overwrite staff edits, demo tenants on plans, one override; twice = once."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models.activity import Activity
from app.models.features import Feature, PlatformPlan, PlatformPlanFeature, TenantFeature
from app.models.tenancy import Tenant
from services import features
from services.features import definitions, grants, overrides
from services.seed import PLANS
from services.tenancy.resolver import get_tenant
from tests.factories import ACTOR
from tests.functional.conftest import in_platform


def seed(app) -> str:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def snapshot(app) -> dict:
    """Every row the seed writes in the features area, plus the activity count."""
    with app.app_context():
        grants = db.session.execute(
            select(PlatformPlan.slug, Feature.slug, PlatformPlanFeature.value)
            .join(PlatformPlan, PlatformPlan.id == PlatformPlanFeature.platform_plan_id)
            .join(Feature, Feature.id == PlatformPlanFeature.feature_id)
        ).all()
        trial = db.session.execute(
            select(Feature.slug, Feature.accessible_during_trial, Feature.trial_value)
        ).all()
        on_plans = db.session.execute(
            select(Tenant.slug, PlatformPlan.slug).join(
                PlatformPlan, PlatformPlan.id == Tenant.platform_plan_id, isouter=True
            )
        ).all()
        overrides = db.session.execute(
            select(Tenant.slug, Feature.slug, TenantFeature.value, TenantFeature.reason)
            .join(Tenant, Tenant.id == TenantFeature.tenant_id)
            .join(Feature, Feature.id == TenantFeature.feature_id)
        ).all()
        activities = db.session.scalar(select(func.count()).select_from(Activity))
        versions = db.session.execute(select(Tenant.slug, Tenant.version)).all()
    return {
        "grants": sorted(grants),
        "trial": sorted(trial),
        "on_plans": dict(on_plans),
        "overrides": sorted(overrides),
        "activities": activities,
        "versions": dict(versions),
    }


def test_seed_twice_writes_the_plans_once(app):
    first_output = seed(app)
    first = snapshot(app)
    second_output = seed(app)
    assert second_output == first_output
    assert snapshot(app) == first
    expected = sorted(
        (plan, feature, value) for plan, _, granted in PLANS for feature, value in granted.items()
    )
    assert first["grants"] == expected
    assert ("growth", "maximum_discount_coupon_amount_limit", "80") in expected
    assert ("enterprise", "admin_limit", "unlimited") in expected
    # Spec 10 §12: demo is active on enterprise, acme on trial on growth.
    assert first["on_plans"] == {"demo": "enterprise", "acme": "growth", "northwind": "starter"}
    assert first["overrides"] == [
        ("acme", "automations", "enabled", "Pilot customer for automations")
    ]
    trial = {slug: (access, value) for slug, access, value in first["trial"]}
    assert trial["admin_limit"] == (True, "2") and trial["issues_limit"] == (True, "25")
    assert trial["discount_coupons"] == (True, None)
    assert trial["maximum_discount_coupon_amount_limit"] == (True, "50")
    assert trial["automations"] == (False, None)
    assert "platform plan growth" in first_output


def test_seeded_tenants_resolve_their_plans(app):
    seed(app)
    with app.app_context():
        ids = dict(db.session.execute(select(Tenant.slug, Tenant.id)).all())
        demo, acme = get_tenant(ids["demo"]), get_tenant(ids["acme"])
        assert features.limit(demo, "admin_limit") is features.UNLIMITED
        assert features.enabled(demo, "consumption_api")
        assert features.enabled(demo, "physicals_goods")  # spec 30 §11: demo ships goods
        assert not features.enabled(acme, "physicals_goods")
        assert features.enabled(acme, "automations")  # the pilot override
        assert features.limit(acme, "issues_limit") == 1000  # the plan beats the trial value


def test_staff_edits_survive_a_second_seed(app):
    seed(app)
    with in_platform(app):
        definitions.update_feature(
            ACTOR, definitions.find_feature("issues_limit"), trial_value="30"
        )
        definitions.update_feature(
            ACTOR, definitions.find_feature("discount_coupons"), accessible_during_trial=False
        )
        acme = db.session.scalar(select(Tenant).where(Tenant.slug == "acme"))
        overrides.remove_override(
            ACTOR, acme, definitions.find_feature("automations"), "Pilot is over"
        )
        grants.assign_plan(
            ACTOR,
            acme,
            db.session.scalar(select(PlatformPlan).where(PlatformPlan.slug == "growth")),
        )
    before = snapshot(app)
    seed(app)
    after = snapshot(app)
    assert after == before
    trial = {slug: (access, value) for slug, access, value in after["trial"]}
    # Turned back to the defaults by staff: the seed does not turn it on again.
    assert trial["issues_limit"] == (True, "30") and trial["discount_coupons"] == (False, None)
    assert after["on_plans"]["acme"] == "growth" and after["overrides"] == []
