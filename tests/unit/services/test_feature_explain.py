"""explain(): steps in rule order, the deciding wording and the cache audit (spec 20 §5.3)."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import cache, db
from app.models.base import utcnow
from app.models.features import Feature, TenantFeature
from services import activity, features
from services.errors import UnknownFeature
from services.features import definitions, grants, kill_switches, overrides
from services.features.crawler import RequestSignals
from services.features.resolution import map_key, maps
from services.tenancy import touch
from services.tenancy.resolver import get_tenant

ACTOR = activity.Actor(label="tests")


def feature(slug: str) -> Feature:
    return db.session.scalar(select(Feature).where(Feature.slug == slug))


def rules(explanation) -> list:
    return [step.rule for step in explanation.steps]


def test_plan_grant_with_value_names_plan_and_value(tenant, plan):
    grants.set_grant(ACTOR, plan, feature("admin_limit"), "5")
    db.session.commit()
    result = features.explain(tenant.id, "admin_limit")
    assert result.granted and result.value == 5 and result.decided_by == 7
    assert rules(result) == [2, 3, 4, 5, 6, 7, "value"]
    assert [s.outcome for s in result.steps[:5]] == ["no"] * 5
    assert result.steps[5].detail == "granted by plan Growth, value 5"
    assert result.steps[-1].detail == "5 from plan Growth"
    assert result.cache_agrees


def test_missing_grant_and_missing_plan_are_named(tenant, plan):
    result = features.explain(tenant.id, "automations")
    assert not result.granted and result.decided_by == 8
    assert result.summary == "denied: no grant in plan Growth"
    grants.assign_plan(ACTOR, tenant, None)
    db.session.commit()
    assert features.explain(tenant.id, "automations").summary == "denied: no platform plan"


def test_switch_off_names_time_actor_and_reason(tenant, user_factory):
    staff = user_factory(tenant=None, name="Ana Pérez")
    actor = activity.Actor.for_user(staff)
    kill_switches.toggle_switch(actor, "storefront_search", False, "DB overload right now")
    db.session.commit()
    result = features.explain(tenant.id, "storefront_search")
    assert not result.granted and result.decided_by == 4
    assert rules(result) == [2, 3, 4]
    detail = result.steps[-1].detail
    assert detail.startswith("denied: kill switch storefront_search off since ")
    assert detail.endswith(" UTC by Ana Pérez: DB overload right now")


def test_crawler_and_override_wording(tenant):
    agent = "Googlebot/2.1 (+http://www.google.com/bot.html)"
    bot = RequestSignals(agent, None, None, str(tenant.uuid))
    result = features.explain(tenant.id, "storefront_search", bot)
    assert result.summary == f"denied: crawler detected (User-Agent '{agent}')"
    expires = utcnow() + timedelta(days=30)
    overrides.set_override(
        ACTOR, tenant, feature("automations"), "enabled", "pilot customer", expires
    )
    db.session.commit()
    result = features.explain(tenant.id, "automations")
    assert result.summary == f"granted by override (expires {expires:%Y-%m-%d}): pilot customer"
    assert result.decided_by == 6


def test_disabled_override_deprecating_and_trial(tenant, plan):
    overrides.set_override(ACTOR, tenant, feature("automations"), "disabled", "contract ended")
    db.session.commit()
    result = features.explain(tenant.id, "automations")
    assert result.decided_by == 3 and result.summary.startswith(
        "denied: override 'disabled' set by "
    )
    assert result.summary.endswith(": contract ended")
    definitions.update_feature(ACTOR, feature("automations"), deprecating=True)
    db.session.commit()
    result = features.explain(tenant.id, "automations")
    assert rules(result) == [2]
    assert result.summary == "granted: feature is deprecating (on for every tenant)"
    definitions.update_feature(ACTOR, feature("discount_coupons"), accessible_during_trial=True)
    tenant.status, tenant.trial_ends_at = "trial", utcnow() + timedelta(days=3)
    db.session.flush()
    touch(tenant.id)
    db.session.commit()
    result = features.explain(tenant.id, "discount_coupons")
    assert result.decided_by == 5 and result.summary.startswith("granted by trial (until ")


def test_explain_agrees_with_enabled_for_booleans_over_every_combination(tenant, plan):
    slug = "discount_coupons"
    for trial_access, trial, override_value, grant_value in itertools.product(
        (False, True), (False, True), (None, "disabled", "enabled"), (None, "disabled", "enabled")
    ):
        definitions.update_feature(ACTOR, feature(slug), accessible_during_trial=trial_access)
        tenant.status = "trial" if trial else "active"
        tenant.trial_ends_at = utcnow() + timedelta(days=1) if trial else None
        db.session.flush()
        touch(tenant.id)
        if db.session.scalar(select(TenantFeature.id).where(TenantFeature.tenant_id == tenant.id)):
            overrides.remove_override(ACTOR, tenant, feature(slug), "reset for the next case")
        if override_value:
            overrides.set_override(ACTOR, tenant, feature(slug), override_value, "a test reason")
        if grant_value:
            grants.set_grant(ACTOR, plan, feature(slug), grant_value)
        elif feature(slug).id in {g.feature_id for g in plan.grants}:
            grants.remove_grant(ACTOR, plan, feature(slug))
        db.session.commit()
        context = get_tenant(tenant.id)
        case = (trial_access, trial, override_value, grant_value)
        explained = features.explain(context, slug)
        assert explained.granted == features.enabled(context, slug), case
        assert explained.cache_agrees, case


def test_a_stale_cached_map_is_reported(tenant, plan):
    grants.set_grant(ACTOR, plan, feature("discount_coupons"), "enabled")
    db.session.commit()
    context = get_tenant(tenant.id)
    current = maps.get(context)
    assert features.enabled(context, "discount_coupons")
    # Same stamp, wrong content: what a lost invalidation would leave behind.
    wrong = dataclasses.replace(current.entries["discount_coupons"], granted=False)
    stale = dataclasses.replace(current, entries={**current.entries, "discount_coupons": wrong})
    maps.drop(tenant.id)
    cache.set(map_key(tenant.id), stale.to_json(), 60)
    result = features.explain(context, "discount_coupons")
    assert result.granted and not result.cache_agrees


def test_unknown_feature_raises(tenant):
    with pytest.raises(UnknownFeature):
        features.explain(tenant.id, "nope")
