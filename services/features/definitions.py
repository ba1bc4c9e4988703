"""Feature definitions and platform plans (spec 20 §2.1, §2.2): super-admin writes that restamp
every map (definitions) or refresh the catalog (plans)."""

from __future__ import annotations

import re
import uuid as uuid_lib

from sqlalchemy import select

from app.extensions import db
from app.models.features import FEATURE_KINDS, Feature, PlatformPlan
from services import activity
from services.errors import Conflict, InvalidState, NotFound, ValidationError
from services.features import catalog_queries, registry, values
from services.features.versions import broadcast, bump

FEATURE_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
PLAN_SLUG = re.compile(r"^[a-z][a-z0-9_-]{1,62}$")
FEATURE_FIELDS = (
    "name",
    "description",
    "kind",
    "accessible_during_trial",
    "trial_value",
    "deprecating",
)
PLAN_FIELDS = ("name", "description", "position", "is_active")
MAX_NAME = 120
MAX_DESCRIPTION = 1000
# Any display order fits PostgreSQL's integer; the bound only keeps typos out.
MAX_POSITION = 1_000_000


def find_feature(slug: str) -> Feature:
    feature = db.session.scalar(select(Feature).where(Feature.slug == slug))
    if feature is None:
        raise NotFound(f"No feature {slug}.")
    return feature


def find_plan(plan_uuid) -> PlatformPlan:
    try:
        key = plan_uuid if isinstance(plan_uuid, uuid_lib.UUID) else uuid_lib.UUID(str(plan_uuid))
    except ValueError:
        raise NotFound("No such platform plan.") from None
    return _one_plan(PlatformPlan.uuid == key, "No such platform plan.")


def find_plan_by_slug(slug: str) -> PlatformPlan:
    return _one_plan(PlatformPlan.slug == slug, f"No platform plan {slug!r}.")


def _one_plan(condition, missing: str) -> PlatformPlan:
    plan = db.session.scalar(select(PlatformPlan).where(condition))
    if plan is None:
        raise NotFound(missing)
    return plan


# -- shared field rules -----------------------------------------------------------------------


def _name(raw) -> str:
    name = (raw or "").strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise ValidationError("Give a name of 1 to 120 characters.", field="name")
    return name


def _description(raw) -> str:
    description = (raw or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError("Keep the description to 1,000 characters.", field="description")
    return description


def _clean_feature(changes: dict, current: Feature | None) -> dict:
    """Normalised feature fields, checked alone and together (the trial rules of §2.1)."""
    clean = dict(changes)
    if "name" in clean:
        clean["name"] = _name(clean["name"])
    if "description" in clean:
        clean["description"] = _description(clean["description"])
    if "kind" in clean and clean["kind"] not in FEATURE_KINDS:
        raise ValidationError("Choose boolean or limit.", field="kind")
    for flag in ("accessible_during_trial", "deprecating"):
        if flag in clean:
            clean[flag] = bool(clean[flag])
    if "trial_value" in clean:
        raw = clean["trial_value"]
        blank = raw is None or not str(raw).strip()
        clean["trial_value"] = None if blank else values.canonical(raw, "trial", "trial_value")

    def final(key):
        return clean[key] if key in clean else getattr(current, key, None)

    if final("kind") == "limit" and final("accessible_during_trial") and not final("trial_value"):
        raise ValidationError("A limit open during trial needs a trial value.", field="trial_value")
    if final("kind") == "boolean" and final("trial_value") is not None:
        raise ValidationError("Only limit features have a trial value.", field="trial_value")
    return clean


def _feature_state(feature: Feature) -> dict:
    return {key: getattr(feature, key) for key in ("slug", *FEATURE_FIELDS)}


def _record(actor: activity.Actor, action: str, subject: str, subject_id, **diff) -> None:
    """Platform-wide rows: definitions and plans belong to no tenant."""
    activity.record(actor, action, subject, subject_id, tenant_id=None, **diff)


def _definitions_changed() -> None:
    """Every tenant's map is stamped with the definitions version (spec 20 §8)."""
    bump("feature_definitions")
    broadcast({"type": "catalog", "version": bump("feature_catalog")})


def _plans_changed() -> None:
    broadcast({"type": "catalog", "version": bump("feature_catalog")})


# -- features ---------------------------------------------------------------------------------


def create_feature(
    actor: activity.Actor,
    *,
    slug: str,
    name: str,
    description: str = "",
    kind: str = "boolean",
    accessible_during_trial: bool = False,
    trial_value: str | None = None,
    deprecating: bool = False,
) -> Feature:
    """A staff-defined feature (tenant-specific toggles); the code checks only registry slugs."""
    slug = (slug or "").strip()
    if not FEATURE_SLUG.match(slug):
        raise ValidationError(
            "Use 2 to 63 lower-case letters, digits or '_', starting with a letter.", field="slug"
        )
    fields = _clean_feature(
        {
            "name": name,
            "description": description,
            "kind": kind,
            "accessible_during_trial": accessible_during_trial,
            "trial_value": trial_value,
            "deprecating": deprecating,
        },
        None,
    )
    if db.session.scalar(select(Feature.id).where(Feature.slug == slug)):
        raise Conflict("This slug is taken.", field="slug")
    feature = Feature(slug=slug, **fields)
    db.session.add(feature)
    db.session.flush()
    _record(actor, "feature.created", "feature", slug, after=_feature_state(feature))
    _definitions_changed()
    return feature


def update_feature(actor: activity.Actor, feature: Feature, **changes) -> Feature:
    """Edit a definition (never its slug); the kind only while nothing references it.
    Every map is restamped; an edit that changes nothing writes nothing."""
    unknown = set(changes) - set(FEATURE_FIELDS)
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))}.")
    clean = _clean_feature(changes, feature)
    clean = {key: value for key, value in clean.items() if getattr(feature, key) != value}
    if not clean:
        return feature
    if "kind" in clean and catalog_queries.references(feature).any:
        raise ValidationError(
            "The kind cannot change once a plan grant, an override or a kill switch uses it.",
            field="kind",
        )
    before = {key: getattr(feature, key) for key in clean}
    for key, value in clean.items():
        setattr(feature, key, value)
    db.session.flush()
    _record(actor, "feature.updated", "feature", feature.slug, before=before, after=clean)
    _definitions_changed()
    return feature


def delete_feature(actor: activity.Actor, feature: Feature) -> None:
    """Only staff-created features that nothing references; registry slugs stay."""
    if feature.slug in registry.FEATURES:
        raise InvalidState(f"{feature.slug} is declared in code and cannot be deleted.")
    refs = catalog_queries.references(feature)
    if refs.any:
        raise InvalidState(
            f"{feature.slug} is still used by {refs.describe()}; remove those first."
        )
    before = _feature_state(feature)
    db.session.delete(feature)
    db.session.flush()
    _record(actor, "feature.deleted", "feature", before["slug"], before=before)
    _definitions_changed()


# -- platform plans ---------------------------------------------------------------------------


def _position(raw) -> int:
    try:
        position = int(raw)
    except (TypeError, ValueError):
        raise ValidationError("Enter a whole number.", field="position") from None
    if abs(position) > MAX_POSITION:
        raise ValidationError("Enter a number between -1000000 and 1000000.", field="position")
    return position


def _plan_state(plan: PlatformPlan) -> dict:
    return {key: getattr(plan, key) for key in ("slug", *PLAN_FIELDS)}


def create_plan(
    actor: activity.Actor, *, slug: str, name: str, description: str = "", position: int = 0
) -> PlatformPlan:
    slug = (slug or "").strip().lower()
    if not PLAN_SLUG.match(slug):
        raise ValidationError(
            "Use 2 to 63 lower-case letters, digits, '-' or '_', starting with a letter.",
            field="slug",
        )
    name, description, position = _name(name), _description(description), _position(position)
    if db.session.scalar(select(PlatformPlan.id).where(PlatformPlan.slug == slug)):
        raise Conflict("This slug is taken.", field="slug")
    plan = PlatformPlan(
        slug=slug, name=name, description=description, position=position, is_active=True
    )
    db.session.add(plan)
    db.session.flush()
    _record(actor, "platform_plan.created", "platform_plan", plan.uuid, after=_plan_state(plan))
    _plans_changed()
    return plan


def update_plan(
    actor: activity.Actor,
    plan: PlatformPlan,
    *,
    name: str | None = None,
    description: str | None = None,
    position: int | None = None,
    is_active: bool | None = None,
) -> PlatformPlan:
    """Edit a plan (never its slug); None leaves a field as it is. Deactivating keeps its
    tenants on it but stops new assignments (grants.assign_plan)."""
    wanted = {}
    if name is not None:
        wanted["name"] = _name(name)
    if description is not None:
        wanted["description"] = _description(description)
    if position is not None:
        wanted["position"] = _position(position)
    if is_active is not None:
        wanted["is_active"] = bool(is_active)
    changes = {key: value for key, value in wanted.items() if getattr(plan, key) != value}
    if not changes:
        return plan
    before = {key: getattr(plan, key) for key in changes}
    for key, value in changes.items():
        setattr(plan, key, value)
    db.session.flush()
    action = (
        "platform_plan.deactivated"
        if changes.get("is_active") is False
        else "platform_plan.updated"
    )
    _record(actor, action, "platform_plan", plan.uuid, before=before, after=changes)
    _plans_changed()
    return plan


def delete_plan(actor: activity.Actor, plan: PlatformPlan) -> None:
    """Only a plan no tenant is on (the foreign key also refuses); its grants go with it."""
    tenants = catalog_queries.tenants_on_plan(plan)
    if tenants:
        noun = "tenant is" if tenants == 1 else "tenants are"
        raise InvalidState(f"{tenants} {noun} on plan {plan.name}; deactivate it instead.")
    before = {**_plan_state(plan), "grants": {g.feature.slug: g.value for g in plan.grants}}
    subject = plan.uuid
    db.session.delete(plan)
    db.session.flush()
    _record(actor, "platform_plan.deleted", "platform_plan", subject, before=before)
    _plans_changed()
