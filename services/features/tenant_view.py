"""The staff read model of a tenant's features tab and the platform-plan change preview
(spec 20 §11.4): every figure read from the database, never from the feature cache."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import or_, select

from app.extensions import db
from app.models.activity import Activity
from app.models.features import Feature, PlatformPlan, TenantFeature
from app.models.tenancy import Tenant, User
from services.errors import ValidationError
from services.features import catalog as catalog_module
from services.features import crawler, registry, resolution, values
from services.features.explanation import explain
from services.tenancy.context import TenantContext

OPEN, DISABLED_ONLY, LOCKED = "open", "disabled_only", "locked"


@dataclass(frozen=True)
class OverrideInfo:
    value: str
    reason: str
    by: str
    when: datetime
    expires_at: datetime | None
    expired: bool


@dataclass(frozen=True)
class FeatureRow:
    slug: str
    name: str
    description: str
    kind: str
    granted: bool
    result: str  # "On" / "Off" for booleans; "5", "Unlimited", "Not included" for limits
    decided_by: str
    plan_value: str | None
    override: OverrideInfo | None
    editor: str  # OPEN | DISABLED_ONLY | LOCKED

    @property
    def choices(self) -> tuple[str, ...]:
        """Values the editor offers; empty means free input (limits)."""
        if self.editor == DISABLED_ONLY:
            return (values.DISABLED,)
        return (values.ENABLED, values.DISABLED) if self.kind == "boolean" else ()


@dataclass(frozen=True)
class TabView:
    tenant: Tenant
    plan: PlatformPlan | None
    rows: list[FeatureRow]
    custom_app_header: str | None  # X-Custom-App-Tenant-Id value; never the secret


def editor_mode(feature: Feature) -> str:
    """Deprecating: no override changes anything; platform-controlled: only 'disabled' does."""
    if feature.deprecating:
        return LOCKED
    spec = registry.FEATURES.get(feature.slug)
    return DISABLED_ONLY if spec is not None and spec.platform_controlled else OPEN


def check_override_value(feature: Feature, raw) -> str:
    """The canonical value the override editor accepts for `feature`, or a field error."""
    mode = editor_mode(feature)
    if mode == LOCKED:
        raise ValidationError(
            "This feature is deprecating (on for every tenant); an override changes nothing.",
            field="value",
        )
    value = values.canonical(raw, feature.kind)
    if mode == DISABLED_ONLY and value != values.DISABLED:
        raise ValidationError(
            "Only 'disabled' changes a platform-controlled feature (its kill switch decides).",
            field="value",
        )
    return value


def _names(user_ids: set[int]) -> dict[int, str]:
    query = select(User.id, User.name, User.email).where(User.id.in_(user_ids))
    return {uid: name or email for uid, name, email in db.session.execute(query)}


def _cli_labels(tenant_id: int) -> dict[str, str]:
    """Who set each override when no user did (CLI, seed): the newest activity row says."""
    rows = db.session.execute(
        select(Activity.actor_label, Activity.after)
        .where(Activity.tenant_id == tenant_id, Activity.action == "tenant.override_set")
        .order_by(Activity.id.desc())
        .limit(500)
    )
    labels: dict[str, str] = {}
    for label, after in rows:
        labels.setdefault((after or {}).get("feature"), label)
    return labels


def _overrides(tenant: Tenant, now: datetime) -> dict[int, OverrideInfo]:
    rows = db.session.execute(
        select(TenantFeature, Feature.slug)
        .join(Feature, Feature.id == TenantFeature.feature_id)
        .where(TenantFeature.tenant_id == tenant.id)
    ).all()
    people = _names({r.updated_by or r.created_by for r, _ in rows} - {None}) if rows else {}
    anonymous = any(not (r.updated_by or r.created_by) for r, _ in rows)
    labels = _cli_labels(tenant.id) if anonymous else {}
    return {
        r.feature_id: OverrideInfo(
            r.value,
            r.reason,
            people.get(r.updated_by or r.created_by) or labels.get(slug) or "system",
            r.updated_at,
            r.expires_at,
            r.expires_at is not None and r.expires_at <= now,
        )
        for r, slug in rows
    }


def _row(tenant: Tenant, feature: Feature, grants: dict, overrides: dict) -> FeatureRow:
    explained = explain(tenant.id, feature.slug)
    boolean = feature.kind == "boolean"
    result = ("On" if explained.granted else "Off") if boolean else values.display(explained.value)
    return FeatureRow(
        feature.slug,
        feature.name,
        feature.description,
        feature.kind,
        explained.granted,
        result,
        explained.summary,
        grants.get(feature.id),
        overrides.get(feature.id),
        editor_mode(feature),
    )


def _parts(tenant: Tenant) -> tuple[PlatformPlan | None, dict, dict]:
    plan_id = tenant.platform_plan_id
    plan = db.session.get(PlatformPlan, plan_id) if plan_id else None
    grants = {g.feature_id: g.value for g in plan.grants} if plan else {}
    return plan, grants, _overrides(tenant, datetime.now(UTC))


def tab(tenant: Tenant, secrets: tuple[str, ...] = ()) -> TabView:
    """One row per feature (registry and staff-created), booleans first; `secrets` are the
    configured CRAWLER_BYPASS_SECRET values, newest first (only the header value is shown)."""
    plan, grants, overrides = _parts(tenant)
    features = db.session.scalars(select(Feature).order_by(Feature.kind, Feature.name))
    rows = [_row(tenant, feature, grants, overrides) for feature in features]
    header = crawler.custom_app_header_value(secrets[0], str(tenant.uuid)) if secrets else None
    return TabView(tenant, plan, rows, header)


def row(tenant: Tenant, feature: Feature) -> FeatureRow:
    """One feature's row, for the override dialogs."""
    return _row(tenant, feature, *_parts(tenant)[1:])


def plan_choices(tenant: Tenant | None) -> list[PlatformPlan]:
    """Active plans, plus the tenant's current one even when inactive (it may keep it); for a
    tenant being created (None), the active plans."""
    current = tenant.platform_plan_id if tenant is not None else None
    query = select(PlatformPlan).where(or_(PlatformPlan.is_active, PlatformPlan.id == current))
    return list(db.session.scalars(query.order_by(PlatformPlan.position, PlatformPlan.name)))


@dataclass(frozen=True)
class Change:
    slug: str
    name: str
    before: str
    after: str
    note: str = ""


@dataclass(frozen=True)
class QuotaExcess:
    slug: str
    text: str  # "7 administrators, new limit 5"


@dataclass
class PlanPreview:
    current_plan: str
    new_plan: str
    trial_until: datetime | None
    gained: list[Change] = field(default_factory=list)
    lost: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged_because: list[Change] = field(default_factory=list)
    exceeded: list[QuotaExcess] = field(default_factory=list)


NO_PLAN = "no platform plan"
KEPT_BY = {
    "override": "kept by the tenant's override",
    "override_disabled": "an override keeps it off",
    "trial": "decided by trial access for now",
    "deprecating": "deprecating: on for everyone",
    "switch": "decided by its kill switch",
}


def _context(tenant: Tenant) -> TenantContext:
    """The tenant as resolution sees it, built from the row (not the tenant cache)."""
    return TenantContext(
        **{key: getattr(tenant, key) for key in ("id", "slug", "name", "status", "version")},
        uuid=str(tenant.uuid),
        default_currency=tenant.default_currency,
        platform_plan_id=tenant.platform_plan_id,
        trial_ends_at=tenant.trial_ends_at,
    )


def plan_preview(tenant: Tenant, new_plan: PlatformPlan | None) -> PlanPreview:
    """What moving `tenant` to `new_plan` (None: no platform plan) changes right now, counting
    its overrides and trial, and which count quotas its current usage would exceed."""
    now = datetime.now(UTC)
    catalog = catalog_module.load_from_database()
    context = _context(tenant)
    overrides = resolution.load_overrides(tenant.id, now)
    moved = dataclasses.replace(context, platform_plan_id=new_plan.id if new_plan else None)
    before = resolution.compute(context, catalog, overrides, now).entries
    after = resolution.compute(moved, catalog, overrides, now).entries
    old_plan = catalog.plans.get(tenant.platform_plan_id)
    new_def = catalog.plans.get(new_plan.id) if new_plan else None
    preview = PlanPreview(
        old_plan.name if old_plan else NO_PLAN,
        new_def.name if new_def else NO_PLAN,
        tenant.trial_ends_at if context.in_trial(now) else None,
    )
    grants = (old_plan.grants if old_plan else {}, new_def.grants if new_def else {})
    for definition in sorted(catalog.features.values(), key=lambda d: (d.kind, d.name)):
        new = after[definition.slug]
        _compare(preview, definition, before[definition.slug], new, *grants)
        if definition.kind == "limit":
            _quota(preview, tenant, definition, new.value)
    return preview


def _compare(preview, definition, old, new, old_grants, new_grants) -> None:
    slug, name = definition.slug, definition.name
    if definition.kind == "boolean":
        was, will = (old.granted, new.granted)
        shown = ("On" if was else "Off", "On" if will else "Off")
    else:
        was, will = (old.value is not None, new.value is not None)
        shown = (values.display(old.value), values.display(new.value))
    if will and not was:
        preview.gained.append(Change(slug, name, *shown))
    elif was and not will:
        preview.lost.append(Change(slug, name, *shown))
    elif definition.kind == "limit" and old.value != new.value:
        preview.changed.append(Change(slug, name, *shown))
    elif old_grants.get(slug) != new_grants.get(slug) and new.source in KEPT_BY:
        grants = (old_grants.get(slug) or "—", new_grants.get(slug) or "—")
        preview.unchanged_because.append(Change(slug, name, *grants, KEPT_BY[new.source]))


def _quota(preview: PlanPreview, tenant: Tenant, definition, new_value) -> None:
    spec, provider = definition.spec, registry.usage_provider(definition.slug)
    if spec is None or spec.style != "count" or provider is None or new_value is values.UNLIMITED:
        return
    current = provider(tenant.id)
    if (new_value is None and current > 0) or (new_value is not None and current > new_value):
        shown = "not included" if new_value is None else str(new_value)
        text = f"{current} {spec.unit}, new limit {shown}"
        preview.exceeded.append(QuotaExcess(definition.slug, text))
