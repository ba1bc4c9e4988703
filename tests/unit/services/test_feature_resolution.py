"""The resolution order of spec 20 §5 case by case, limits, values, and cache invalidation."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow
from app.models.features import Feature, TenantFeature
from services import activity, features, platform
from services.errors import UnknownFeature, UnknownKillSwitch, ValidationError, WrongFeatureKind
from services.features import definitions, grants, kill_switches, overrides, values
from services.features.crawler import RequestSignals
from services.tenancy import touch
from services.tenancy.resolver import get_tenant

ACTOR = activity.Actor(label="tests")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)


def feature(slug: str) -> Feature:
    return db.session.scalar(select(Feature).where(Feature.slug == slug))


def grant(plan, slug, value):
    grants.set_grant(ACTOR, plan, feature(slug), value)
    db.session.commit()


def override(tenant, slug, value, expires_at=None):
    overrides.set_override(ACTOR, tenant, feature(slug), value, "a test reason", expires_at)
    db.session.commit()


def define(slug, **changes):
    definitions.update_feature(ACTOR, feature(slug), **changes)
    db.session.commit()


def switch(name, on):
    kill_switches.toggle_switch(ACTOR, name, on, "a reason of ten characters")
    db.session.commit()


def put_in_trial(tenant, days=3):
    tenant.status = "trial"
    tenant.trial_ends_at = utcnow() + timedelta(days=days)
    db.session.flush()
    touch(tenant.id)
    db.session.commit()


def on(tenant, slug, request=None) -> bool:
    return features.enabled(get_tenant(tenant.id), slug, request)


# -- 5.1 booleans -----------------------------------------------------------------------------


def test_plan_grant_decides_when_nothing_else_applies(tenant, plan):
    assert not on(tenant, "discount_coupons")  # no grant, no override, not in trial
    grant(plan, "discount_coupons", "enabled")
    assert on(tenant, "discount_coupons")
    grant(plan, "discount_coupons", "disabled")
    assert not on(tenant, "discount_coupons")


def test_tenant_without_a_platform_plan_is_denied(tenant, plan):
    grant(plan, "discount_coupons", "enabled")
    grants.assign_plan(ACTOR, tenant, None)
    db.session.commit()
    assert not on(tenant, "discount_coupons")


def test_override_enabled_grants_a_feature_absent_from_the_plan(tenant):
    override(tenant, "automations", "enabled")
    assert on(tenant, "automations")


def test_override_disabled_beats_plan_trial_and_an_on_switch(tenant, plan):
    grant(plan, "discount_coupons", "enabled")
    define("discount_coupons", accessible_during_trial=True)
    put_in_trial(tenant)
    override(tenant, "discount_coupons", "disabled")
    assert not on(tenant, "discount_coupons")
    override(tenant, "storefront_search", "disabled")
    assert platform.enabled("storefront_search")
    assert not on(tenant, "storefront_search")


def test_deprecating_feature_is_granted_whatever_else_says(tenant):
    override(tenant, "automations", "disabled")
    define("automations", deprecating=True)
    assert on(tenant, "automations")
    define("storefront_search", deprecating=True)
    override(tenant, "storefront_search", "disabled")
    switch("storefront_search", False)
    assert on(tenant, "storefront_search")


def test_trial_access(tenant):
    define("discount_coupons", accessible_during_trial=True)
    define("automations", accessible_during_trial=False)
    put_in_trial(tenant)
    assert on(tenant, "discount_coupons")
    assert not on(tenant, "automations")


def test_trial_ends_on_time_without_job_or_purge(tenant):
    define("discount_coupons", accessible_during_trial=True)
    tenant.status, tenant.trial_ends_at = "trial", utcnow() + timedelta(seconds=1)
    db.session.flush()
    touch(tenant.id)
    db.session.commit()
    assert on(tenant, "discount_coupons")
    time.sleep(1.1)
    assert not on(tenant, "discount_coupons")


def test_platform_controlled_feature_follows_its_switch_alone(tenant, plan):
    override(tenant, "storefront_search", "enabled")
    grant(plan, "storefront_search", "enabled")
    switch("storefront_search", False)
    assert not on(tenant, "storefront_search")
    switch("storefront_search", True)
    other = definitions.create_plan(ACTOR, slug="starter", name="Starter")
    grants.assign_plan(ACTOR, tenant, other)
    db.session.commit()
    assert on(tenant, "storefront_search")  # the plan lacks it


def test_environment_forces_a_switch_off_but_never_on(tenant, monkeypatch):
    from services.features.switches import board

    monkeypatch.setattr(board, "forced_off", frozenset({"storefront_search"}))
    assert not platform.enabled("storefront_search")
    assert not on(tenant, "storefront_search")
    monkeypatch.setattr(board, "forced_off", frozenset())
    switch("storefront_search", False)
    assert not platform.enabled("storefront_search")


def test_environment_values(caplog):
    from services.features.switches import forced_off_from

    forced = forced_off_from(
        {
            "FEATURE_CONTROL_PAYMENT_SYNC": "FALSE ",
            "FEATURE_CONTROL_IPN_PROCESSING": "maybe",
            "FEATURE_CONTROL_STOREFRONT_SEARCH": "true",
            "FEATURE_CONTROL_NOPE": "false",
        }
    )
    assert forced == {"payment_sync"}
    assert "FEATURE_CONTROL_IPN_PROCESSING" in caplog.text
    assert "FEATURE_CONTROL_NOPE" in caplog.text


def test_unknown_switch_raises(ctx):
    with pytest.raises(UnknownKillSwitch):
        platform.enabled("payment_synk")


def test_crawler_gate_only_for_the_three_storefront_features(tenant, plan):
    grant(plan, "discount_coupons", "enabled")
    bot = RequestSignals(GOOGLEBOT, None, None, str(tenant.uuid))
    person = RequestSignals(BROWSER, None, None, str(tenant.uuid))
    for slug in ("storefront_search", "storefront_search_terms", "storefront_recommended_issues"):
        assert not on(tenant, slug, bot)
        assert on(tenant, slug, person)
    assert on(tenant, "discount_coupons", bot)
    switch("storefront_search", False)
    assert not on(tenant, "storefront_search", person)


def test_unknown_slug_raises_in_strict_mode_and_denies_otherwise(tenant, monkeypatch):
    from services.features.checks import settings

    with pytest.raises(UnknownFeature):
        on(tenant, "nope")
    monkeypatch.setitem(settings, "strict", False)
    assert not on(tenant, "nope")


# -- 5.2 limits -------------------------------------------------------------------------------


def test_limit_values_and_within_limit(tenant, plan):
    t = get_tenant(tenant.id)
    grant(plan, "issues_limit", "unlimited")
    assert features.limit(t, "issues_limit") is features.UNLIMITED
    assert features.within_limit(t, "issues_limit", 10**9)
    grant(plan, "issues_limit", "500")
    assert features.limit(t, "issues_limit") == 500
    assert features.within_limit(t, "issues_limit", 499)
    assert not features.within_limit(t, "issues_limit", 500)
    override(tenant, "issues_limit", "10")
    assert features.limit(get_tenant(tenant.id), "issues_limit") == 10


def test_lower_override_beats_unlimited_plan(tenant, plan):
    grant(plan, "admin_limit", "unlimited")
    override(tenant, "admin_limit", "2")
    assert features.limit(get_tenant(tenant.id), "admin_limit") == 2


def test_allows_with_a_maximum(tenant, plan):
    slug = "maximum_discount_coupon_amount_limit"
    assert not features.allows(get_tenant(tenant.id), slug, 1)
    grant(plan, slug, "80")
    t = get_tenant(tenant.id)
    assert features.allows(t, slug, 80)
    assert features.allows(t, slug, Decimal("80.00"))
    assert not features.allows(t, slug, Decimal("80.01"))


def test_zero_is_access_with_no_capacity(tenant, plan):
    grant(plan, "admin_limit", "0")
    t = get_tenant(tenant.id)
    assert features.enabled(t, "admin_limit")
    assert not features.within_limit(t, "admin_limit", 0)


def test_trial_value_applies_only_during_trial(tenant):
    with pytest.raises(ValidationError):
        definitions.update_feature(ACTOR, feature("admin_limit"), accessible_during_trial=True)
    db.session.rollback()
    define("admin_limit", accessible_during_trial=True, trial_value="2")
    put_in_trial(tenant)
    assert features.limit(get_tenant(tenant.id), "admin_limit") == 2
    tenant.status = "active"
    tenant.trial_ends_at = None
    db.session.flush()
    touch(tenant.id)
    db.session.commit()
    assert features.limit(get_tenant(tenant.id), "admin_limit") is None


def test_limit_on_a_boolean_feature_raises(tenant):
    with pytest.raises(WrongFeatureKind):
        features.limit(get_tenant(tenant.id), "discount_coupons")


def test_enabled_matches_limit_over_every_combination(tenant, plan):
    slug = "issues_limit"
    define(slug, accessible_during_trial=True, trial_value="25")
    for trial, override_value, grant_value in itertools.product(
        (False, True), (None, "disabled", "7"), (None, "disabled", "100", "unlimited")
    ):
        if trial:
            put_in_trial(tenant)
        else:
            tenant.status, tenant.trial_ends_at = "active", None
            db.session.flush()
            touch(tenant.id)
            db.session.commit()
        row = db.session.scalar(select(TenantFeature).where(TenantFeature.tenant_id == tenant.id))
        if row is not None:
            overrides.remove_override(ACTOR, tenant, feature(slug), "reset for next case")
            db.session.commit()
        if override_value:
            override(tenant, slug, override_value)
        if grant_value:
            grant(plan, slug, grant_value)
        elif feature(slug).id in {g.feature_id for g in plan.grants}:
            grants.remove_grant(ACTOR, plan, feature(slug))
            db.session.commit()
        t = get_tenant(tenant.id)
        case = (trial, override_value, grant_value)
        assert features.enabled(t, slug) == (features.limit(t, slug) is not None), case
        # explain() walks the database on its own and must reach the same answer.
        explained = features.explain(t, slug)
        assert (explained.granted, explained.value) == (
            features.enabled(t, slug),
            features.limit(t, slug),
        ), case
        assert explained.cache_agrees, case


# -- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "stored"),
    [
        ("007", "limit", "7"),
        (" Unlimited ", "limit", "unlimited"),
        ("ENABLED", "boolean", "enabled"),
    ],
)
def test_values_are_stored_canonically(raw, kind, stored):
    assert values.canonical(raw, kind) == stored


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("-1", "limit"),
        ("1.5", "limit"),
        ("+5", "limit"),
        ("1e3", "limit"),
        ("", "limit"),
        ("yes", "limit"),
        ("true", "boolean"),
        ("enabled", "limit"),
        ("unlimited", "boolean"),
        ("1000000000", "limit"),
    ],
)
def test_bad_values_are_refused(raw, kind):
    with pytest.raises(ValidationError):
        values.canonical(raw, kind)


def test_a_corrupt_stored_value_counts_as_disabled_and_is_logged_once(caplog):
    assert values.runtime("abc") is None
    assert values.runtime("abc") is None
    assert caplog.text.count("features.invalid_value") == 1


# -- cache ------------------------------------------------------------------------------------


def test_grant_change_reaches_tenants_on_that_plan_only(tenant, plan, tenant_factory):
    starter = definitions.create_plan(ACTOR, slug="starter", name="Starter")
    other = tenant_factory(status="active")
    grants.assign_plan(ACTOR, other, starter)
    db.session.commit()
    from services.features.resolution import maps

    assert not on(tenant, "discount_coupons")
    assert not on(other, "discount_coupons")
    other_map = maps.l1.get(other.id, 0)
    grant(plan, "discount_coupons", "enabled")
    assert on(tenant, "discount_coupons")
    assert not on(other, "discount_coupons")
    assert maps.l1.get(other.id, 0) is other_map  # Starter's cached map reused as it was


def test_rolled_back_override_changes_nothing(tenant):
    assert not on(tenant, "automations")
    overrides.set_override(ACTOR, tenant, feature("automations"), "enabled", "never committed")
    db.session.rollback()
    assert not on(tenant, "automations")


def test_expired_override_counts_as_absent_at_once(tenant):
    override(tenant, "automations", "enabled", expires_at=utcnow() + timedelta(seconds=1))
    assert on(tenant, "automations")
    time.sleep(1.1)
    assert not on(tenant, "automations")


def test_twenty_warm_checks_read_the_cache_at_most_once_and_query_nothing(tenant, plan):
    from app.extensions import cache
    from services.features.resolution import maps
    from tests.support.counting import CountingCache, count_queries

    grant(plan, "discount_coupons", "enabled")
    t = get_tenant(tenant.id)
    for slug in features.effective_map(t):  # warm: catalog, switches and map loaded
        features.enabled(t, slug)
    maps.l1.clear()  # L1 empty: the map must come from L2 with one read
    counting = CountingCache(cache.backend)
    original, cache.backend = cache.backend, counting
    try:
        with count_queries() as statements:
            for slug in list(features.effective_map(t))[:10] * 2:
                features.enabled(t, slug)
    finally:
        cache.backend = original
    assert len(counting.calls) <= 1
    assert statements == []
