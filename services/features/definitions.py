"""Feature definitions and platform plans (spec 20 §2.1, §2.2): super-admin writes that restamp
every map (definitions) or refresh the catalog (plans)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models.features import Feature, PlatformPlan
from services import activity
from services.errors import Conflict, NotFound, ValidationError
from services.features import values
from services.features.versions import broadcast, bump


def find_feature(slug: str) -> Feature:
    feature = db.session.scalar(select(Feature).where(Feature.slug == slug))
    if feature is None:
        raise NotFound(f"No feature {slug}.")
    return feature


PLAN_SLUG = re.compile(r"^[a-z][a-z0-9_-]{1,62}$")


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
    broadcast({"type": "catalog", "version": bump("feature_catalog")})
    return plan


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
    broadcast({"type": "catalog", "version": bump("feature_catalog")})
    return feature
