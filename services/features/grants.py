"""Plan grants and a tenant's platform plan (spec 20 §2.3, §8): the grant's plan gets a new
`grants_version`, so only its tenants' maps are restamped."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.features import Feature, PlatformPlan, PlatformPlanFeature
from app.models.tenancy import Tenant
from services import activity
from services.errors import InvalidState, NotFound
from services.features import values
from services.features.versions import broadcast, bump
from services.tenancy import invalidation


def _grant_row(plan: PlatformPlan, feature: Feature) -> PlatformPlanFeature | None:
    return db.session.scalar(
        select(PlatformPlanFeature).where(
            PlatformPlanFeature.platform_plan_id == plan.id,
            PlatformPlanFeature.feature_id == feature.id,
        )
    )


def grant_value(plan: PlatformPlan, feature: Feature) -> str | None:
    """The stored value of one matrix cell, or None when the plan has no grant of the feature."""
    grant = _grant_row(plan, feature)
    return grant.value if grant else None


def set_grant(actor: activity.Actor, plan: PlatformPlan, feature: Feature, raw_value) -> str:
    """Give `feature` the value a person typed (canonicalised; a bad one is a ValidationError on
    field 'value' and nothing changes); returns the stored value."""
    value = values.canonical(raw_value, feature.kind, "value")
    grant = _grant_row(plan, feature)
    before = {"value": grant.value} if grant else {"value": None}
    if grant is None:
        grant = PlatformPlanFeature(plan=plan, feature=feature, value=value)
        db.session.add(grant)
    grant.value = value
    grant.updated_by = actor.user_id
    _grants_changed(actor, plan, feature, "platform_plan.grant_set", before, {"value": value})
    return value


def remove_grant(actor: activity.Actor, plan: PlatformPlan, feature: Feature) -> None:
    grant = _grant_row(plan, feature)
    if grant is None:
        raise NotFound(f"Plan {plan.name} has no grant of {feature.slug}.")
    db.session.delete(grant)
    before = {"value": grant.value}
    _grants_changed(actor, plan, feature, "platform_plan.grant_removed", before, {"value": None})


def _grants_changed(actor, plan, feature, action, before, after) -> None:
    plan.grants_version = PlatformPlan.grants_version + 1
    db.session.flush()
    activity.record(
        actor,
        action,
        "platform_plan",
        plan.uuid,
        tenant_id=None,
        before={"feature": feature.slug, **before},
        after={"feature": feature.slug, **after},
    )
    broadcast({"type": "catalog", "version": bump("feature_catalog")})


def assign_plan(actor: activity.Actor, tenant: Tenant, plan: PlatformPlan | None) -> None:
    """Put a tenant on a platform plan (or none); its maps are restamped through its version."""
    if plan is not None and not plan.is_active and tenant.platform_plan_id != plan.id:
        raise InvalidState("An inactive platform plan cannot be newly assigned.")
    before = {"platform_plan_id": tenant.platform_plan_id}
    tenant.platform_plan_id = plan.id if plan else None
    db.session.flush()
    activity.record(
        actor,
        "tenant.plan_changed",
        "tenant",
        tenant.uuid,
        tenant_id=tenant.id,
        before=before,
        after={"platform_plan_id": tenant.platform_plan_id},
    )
    invalidation.touch(tenant.id)
