"""Writes to grants, overrides and switches: validation, activity rows, version bumps, and the
after-commit broadcast that makes every process see the change (spec 20 §6.3, §8)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Engine, select, update

from app.extensions import db
from app.models.base import utcnow
from app.models.features import (
    ConfigVersion,
    Feature,
    KillSwitch,
    KillSwitchEvent,
    KillSwitchSchedule,
    PlatformPlan,
    PlatformPlanFeature,
    TenantFeature,
)
from app.models.tenancy import Tenant
from services import activity
from services.errors import Conflict, InvalidState, NotFound, ValidationError
from services.features import registry, values
from services.features.snapshots import write_l2
from services.features.switches import L2_KEY as SWITCHES_L2_KEY
from services.features.switches import load_from_database as load_switches
from services.reasons import require_reason
from services.tenancy import invalidation
from services.tenancy.bus import bus

CONFIG_NAMES = ("feature_definitions", "feature_catalog", "kill_switches")
PLAN_SLUG = re.compile(r"^[a-z][a-z0-9_-]{1,62}$")


def bump(name: str) -> int:
    """Increment a config version in the writer's transaction; returns the new version."""
    db.session.execute(
        update(ConfigVersion)
        .where(ConfigVersion.name == name)
        .values(version=ConfigVersion.version + 1, updated_at=utcnow())
    )
    return int(db.session.scalar(select(ConfigVersion.version).where(ConfigVersion.name == name)))


def _after_commit(message: dict, before_publish=None) -> None:
    def run(bind):
        if before_publish is not None:
            before_publish(bind)
        bus.publish(message, bind=bind)

    invalidation.register(db.session, "call", fn=run)


def sync_catalog() -> dict:
    """Insert missing config versions, registry features and switches; never edits a row."""
    created = {"features": 0, "switches": 0}
    existing_versions = set(db.session.scalars(select(ConfigVersion.name)))
    for name in CONFIG_NAMES:
        if name not in existing_versions:
            db.session.add(ConfigVersion(name=name, version=1))
    known = {f.slug: f for f in db.session.scalars(select(Feature))}
    for spec in registry.FEATURES.values():
        if spec.slug not in known:
            known[spec.slug] = Feature(
                slug=spec.slug, name=spec.name, description=spec.description, kind=spec.kind
            )
            db.session.add(known[spec.slug])
            created["features"] += 1
    db.session.flush()
    switches = set(db.session.scalars(select(KillSwitch.name)))
    for spec in registry.SWITCHES.values():
        if spec.name not in switches:
            feature_id = known[spec.name].id if spec.kind == "feature" else None
            db.session.add(
                KillSwitch(
                    name=spec.name,
                    kind=spec.kind,
                    description=spec.description,
                    feature_id=feature_id,
                )
            )
            created["switches"] += 1
    db.session.flush()
    if created["features"]:
        _after_commit({"type": "catalog", "version": bump("feature_catalog")})
        bump("feature_definitions")
    if created["switches"]:
        _after_commit({"type": "switches", "version": bump("kill_switches")})
    return created


def _feature(slug: str) -> Feature:
    feature = db.session.scalar(select(Feature).where(Feature.slug == slug))
    if feature is None:
        raise NotFound(f"No feature {slug}.")
    return feature


def _grant_row(plan: PlatformPlan, feature: Feature) -> PlatformPlanFeature | None:
    return db.session.scalar(
        select(PlatformPlanFeature).where(
            PlatformPlanFeature.platform_plan_id == plan.id,
            PlatformPlanFeature.feature_id == feature.id,
        )
    )


def _override_row(tenant: Tenant, feature: Feature) -> TenantFeature | None:
    return db.session.scalar(
        select(TenantFeature).where(
            TenantFeature.tenant_id == tenant.id, TenantFeature.feature_id == feature.id
        )
    )


def set_grant(actor: activity.Actor, plan: PlatformPlan, feature: Feature, raw_value) -> None:
    value = values.canonical(raw_value, feature.kind)
    grant = _grant_row(plan, feature)
    before = {"value": grant.value} if grant else {"value": None}
    if grant is None:
        grant = PlatformPlanFeature(plan=plan, feature=feature, value=value)
        db.session.add(grant)
    grant.value = value
    grant.updated_by = actor.user_id
    _grants_changed(actor, plan, feature, "platform_plan.grant_set", before, {"value": value})


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
    _after_commit({"type": "catalog", "version": bump("feature_catalog")})


def set_override(
    actor: activity.Actor,
    tenant: Tenant,
    feature: Feature,
    raw_value,
    reason: str,
    expires_at: datetime | None = None,
) -> TenantFeature:
    value = values.canonical(raw_value, feature.kind)
    reason = require_reason(reason)
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationError("The expiry must be in the future.", field="expires_at")
    row = _override_row(tenant, feature)
    before = _override_snapshot(row)
    if row is None:
        row = TenantFeature(tenant_id=tenant.id, feature_id=feature.id, created_by=actor.user_id)
        db.session.add(row)
    row.value, row.reason, row.expires_at, row.updated_by = value, reason, expires_at, actor.user_id
    db.session.flush()
    activity.record(
        actor,
        "tenant.override_set",
        "tenant",
        tenant.uuid,
        tenant_id=tenant.id,
        before={"feature": feature.slug, **before},
        after={"feature": feature.slug, **_override_snapshot(row)},
    )
    invalidation.touch(tenant.id)
    return row


def remove_override(actor: activity.Actor, tenant: Tenant, feature: Feature, reason: str) -> None:
    reason = require_reason(reason)
    row = _override_row(tenant, feature)
    if row is None:
        raise NotFound(f"No override of {feature.slug} for this tenant.")
    before = _override_snapshot(row)
    db.session.delete(row)
    db.session.flush()
    activity.record(
        actor,
        "tenant.override_removed",
        "tenant",
        tenant.uuid,
        tenant_id=tenant.id,
        before={"feature": feature.slug, **before},
        after={"feature": feature.slug, "value": None, "reason": reason},
    )
    invalidation.touch(tenant.id)


def _override_snapshot(row: TenantFeature | None) -> dict:
    if row is None:
        return {"value": None}
    return {"value": row.value, "reason": row.reason, "expires_at": row.expires_at}


def toggle_switch(
    actor: activity.Actor,
    name: str,
    enabled: bool,
    reason: str,
    *,
    source: str = "ui",
    expected_updated_at: datetime | None = None,
) -> KillSwitch:
    """Turn a switch on or off in one transaction (spec 20 §6.3 step 2); broadcast after it."""
    reason = require_reason(reason, minimum=10)
    switch = db.session.scalar(select(KillSwitch).where(KillSwitch.name == name).with_for_update())
    if switch is None:
        raise NotFound(f"No kill switch {name}.")
    if expected_updated_at is not None and switch.updated_at != expected_updated_at:
        who = switch.updated_by_label or "someone"
        raise Conflict(
            f"Changed by {who} at {switch.updated_at:%Y-%m-%d %H:%M:%S} UTC — review and retry."
        )
    if switch.enabled == enabled:
        raise InvalidState(f"{name} is already {'on' if enabled else 'off'}.")
    before = {"enabled": switch.enabled, "reason": switch.reason}
    switch.enabled, switch.reason = enabled, reason
    switch.updated_by, switch.updated_by_label = actor.user_id, actor.label
    switch.updated_at = utcnow()
    db.session.add(
        KillSwitchEvent(
            kill_switch_id=switch.id,
            from_enabled=before["enabled"],
            to_enabled=enabled,
            reason=reason,
            actor_id=actor.user_id,
            actor_label=actor.label,
            source=source,
            request_id=actor.request_id,
        )
    )
    _cancel_pending(switch, "superseded by manual change")
    db.session.flush()
    action = "kill_switch.turned_on" if enabled else "kill_switch.turned_off"
    activity.record(
        actor,
        action,
        "kill_switch",
        name,
        tenant_id=None,
        before=before,
        after={"enabled": enabled, "reason": reason},
    )
    version = bump("kill_switches")

    def write_snapshot(bind):
        if isinstance(bind, Engine):
            with bind.connect() as conn:
                write_l2(SWITCHES_L2_KEY, load_switches(conn))
        else:  # a test's connection inside its outer transaction
            write_l2(SWITCHES_L2_KEY, load_switches(bind))

    _after_commit({"type": "switches", "version": version}, before_publish=write_snapshot)
    return switch


def _cancel_pending(switch: KillSwitch, note: str) -> None:
    db.session.execute(
        update(KillSwitchSchedule)
        .where(
            KillSwitchSchedule.kill_switch_id == switch.id,
            KillSwitchSchedule.status == "pending",
        )
        .values(status="cancelled", resolved_at=utcnow(), note=note)
    )


def create_plan(
    actor: activity.Actor, *, slug: str, name: str, description: str = "", position: int = 0
) -> PlatformPlan:
    slug = (slug or "").strip().lower()
    if not PLAN_SLUG.match(slug):
        raise ValidationError(
            "Use 2 to 63 lower-case letters, digits, '-' or '_', starting with a letter.",
            field="slug",
        )
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise ValidationError("Give a name of 1 to 120 characters.", field="name")
    if db.session.scalar(select(PlatformPlan.id).where(PlatformPlan.slug == slug)):
        raise Conflict("This slug is taken.", field="slug")
    plan = PlatformPlan(slug=slug, name=name, description=description, position=position)
    db.session.add(plan)
    db.session.flush()
    activity.record(
        actor,
        "platform_plan.created",
        "platform_plan",
        plan.uuid,
        tenant_id=None,
        after={"slug": slug, "name": name, "position": position},
    )
    _after_commit({"type": "catalog", "version": bump("feature_catalog")})
    return plan


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


FEATURE_FIELDS = ("name", "description", "accessible_during_trial", "trial_value", "deprecating")


def update_feature(actor: activity.Actor, feature: Feature, **changes) -> Feature:
    """Edit a definition (not its slug; not its kind here); every map is restamped."""
    unknown = set(changes) - set(FEATURE_FIELDS)
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))}.")
    if "trial_value" in changes and changes["trial_value"] not in (None, ""):
        changes["trial_value"] = values.canonical(changes["trial_value"], "trial", "trial_value")
    elif "trial_value" in changes:
        changes["trial_value"] = None
    trial_access = changes.get("accessible_during_trial", feature.accessible_during_trial)
    trial_value = changes.get("trial_value", feature.trial_value)
    if feature.kind == "limit" and trial_access and trial_value is None:
        raise ValidationError("A limit open during trial needs a trial value.", field="trial_value")
    if feature.kind == "boolean" and trial_value is not None:
        raise ValidationError("Only limit features have a trial value.", field="trial_value")
    before = {key: getattr(feature, key) for key in changes}
    for key, value in changes.items():
        setattr(feature, key, value)
    db.session.flush()
    old, new = activity.diff(before, changes)
    activity.record(
        actor, "feature.updated", "feature", feature.slug, tenant_id=None, before=old, after=new
    )
    bump("feature_definitions")
    _after_commit({"type": "catalog", "version": bump("feature_catalog")})
    return feature
