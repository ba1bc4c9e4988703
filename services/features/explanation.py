"""`explain()`: the resolution of one feature for one tenant, step by step, read from the database
so it can audit the cache (spec 20 §5.3)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.models.features import Feature, KillSwitch, PlatformPlan, PlatformPlanFeature
from app.models.features import TenantFeature as Override
from app.models.tenancy import Tenant, User
from services.errors import NotFound, UnknownFeature
from services.features import registry, values
from services.features.resolution import FeatureMap, maps
from services.features.switches import board


@dataclass(frozen=True)
class Step:
    rule: int | str  # 2-8, or "value" for the last step of a limit
    outcome: str  # skip | granted | denied | no
    detail: str


@dataclass
class Explanation:
    slug: str
    tenant_id: int
    granted: bool
    value: object  # limits: int, UNLIMITED or None; booleans: None
    decided_by: int | str
    steps: list[Step] = field(default_factory=list)
    cache_agrees: bool = True
    evaluated_at: datetime | None = None

    @property
    def summary(self) -> str:
        """The deciding step's text, for tables."""
        deciding = [s for s in self.steps if s.outcome in ("granted", "denied")]
        return deciding[-1].detail if deciding else ""


def _when(moment: datetime | None, with_time: bool = True) -> str:
    if moment is None:
        return "?"
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC" if with_time else "%Y-%m-%d")


def _person(user_id: int | None, label: str | None = None) -> str:
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is not None:
            return user.name or user.email
    return label or "system"


class _Walk:
    """Collects steps; the first rule that decides ends the walk."""

    def __init__(self):
        self.steps: list[Step] = []
        self.decided: tuple[bool, int | str] | None = None

    def no(self, rule, detail: str, outcome: str = "no") -> None:
        self.steps.append(Step(rule, outcome, detail))

    def decide(self, rule, granted: bool, detail: str) -> None:
        self.steps.append(Step(rule, "granted" if granted else "denied", detail))
        self.decided = (granted, rule)


def _override_text(row: Override) -> str:
    expiry = f" (expires {_when(row.expires_at, False)})" if row.expires_at else ""
    return f"granted by override{expiry}: {row.reason}"


def _switch_rule(walk: _Walk, slug: str, request) -> None:
    """Rule 4: the kill switch (database row, environment force-off) and the crawler gate."""
    switch = db.session.scalar(select(KillSwitch).where(KillSwitch.name == slug))
    if slug in board.forced_off:
        variable = f"FEATURE_CONTROL_{slug.upper()}"
        walk.decide(4, False, f"denied: kill switch {slug} forced off by environment ({variable})")
    elif switch is not None and not switch.enabled:
        who = _person(switch.updated_by, switch.updated_by_label)
        walk.decide(
            4,
            False,
            f"denied: kill switch {slug} off since {_when(switch.updated_at)} by {who}: "
            f"{switch.reason or 'no reason given'}",
        )
    elif request is not None and request.is_crawler:
        agent = (request.user_agent or "")[:80]
        walk.decide(4, False, f"denied: crawler detected (User-Agent '{agent}')")
    else:
        gate = "; no request, crawler gate not applied" if request is None else "; not a crawler"
        walk.decide(4, True, f"granted: kill switch {slug} on{gate}")


def _walk(feature: Feature, tenant: Tenant, plan, grant, override, now, request) -> _Walk:
    """Rules 2-8 of spec 20 §5.1 in order, stopping at the deciding one."""
    walk = _Walk()
    if feature.deprecating:
        walk.decide(2, True, "granted: feature is deprecating (on for every tenant)")
        return walk
    walk.no(2, "not deprecating")
    if override is not None and override.value == values.DISABLED:
        who = _person(override.updated_by or override.created_by)
        walk.decide(
            3,
            False,
            f"denied: override 'disabled' set by {who} on {_when(override.updated_at, False)}: "
            f"{override.reason}",
        )
        return walk
    walk.no(3, "no 'disabled' override")
    spec = registry.FEATURES.get(feature.slug)
    if spec is not None and spec.platform_controlled:
        _switch_rule(walk, feature.slug, request)
        return walk
    walk.no(4, "not platform-controlled")
    in_trial = (
        tenant.status == "trial" and tenant.trial_ends_at is not None and tenant.trial_ends_at > now
    )
    if in_trial and feature.accessible_during_trial:
        walk.decide(5, True, f"granted by trial (until {_when(tenant.trial_ends_at)})")
        return walk
    walk.no(5, "in trial, but not accessible during trial" if in_trial else "not in trial")
    if override is not None:
        walk.decide(6, True, _override_text(override))
        return walk
    walk.no(6, "no override")
    if plan is None:
        walk.decide(8, False, "denied: no platform plan")
    elif grant is not None and grant.value != values.DISABLED:
        shown = f", value {grant.value}" if feature.kind == "limit" else ""
        walk.decide(7, True, f"granted by plan {plan.name}{shown}")
    elif grant is not None:
        walk.decide(8, False, f"denied: plan {plan.name} grants 'disabled'")
    else:
        walk.decide(8, False, f"denied: no grant in plan {plan.name}")
    return walk


def _limit_value(feature: Feature, tenant: Tenant, plan, grant, override, in_trial, walk):
    """Spec 20 §5.2: override, then plan, then trial value; the last step names the source."""
    if feature.deprecating:
        walk.no("value", "unlimited: deprecating", "granted")
        return values.UNLIMITED
    if override is not None and override.value == values.DISABLED:
        walk.no("value", "no access: override 'disabled'", "denied")
        return None
    if override is not None:
        walk.no("value", f"{override.value} from the override", "granted")
        return values.runtime(override.value)
    if grant is not None and grant.value != values.DISABLED:
        walk.no("value", f"{grant.value} from plan {plan.name}", "granted")
        return values.runtime(grant.value)
    if in_trial and feature.accessible_during_trial and feature.trial_value is not None:
        walk.no("value", f"{feature.trial_value} from the trial value", "granted")
        return values.runtime(feature.trial_value)
    walk.no("value", "no access: no override, grant or trial value", "denied")
    return None


def explain(tenant, slug: str, request=None) -> Explanation:
    """Walk the rules for `tenant` (a TenantContext or id) and `slug` from database rows."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.id
    row = db.session.get(Tenant, tenant_id)
    if row is None:
        raise NotFound(f"No tenant {tenant_id}.")
    feature = db.session.scalar(select(Feature).where(Feature.slug == slug))
    if feature is None:
        raise UnknownFeature(slug)
    now = datetime.now(UTC)
    plan = db.session.get(PlatformPlan, row.platform_plan_id) if row.platform_plan_id else None
    grant = None
    if plan is not None:
        grant = db.session.scalar(
            select(PlatformPlanFeature).where(
                PlatformPlanFeature.platform_plan_id == plan.id,
                PlatformPlanFeature.feature_id == feature.id,
            )
        )
    override = db.session.scalar(
        select(Override).where(Override.tenant_id == row.id, Override.feature_id == feature.id)
    )
    if override is not None and override.expires_at is not None and override.expires_at <= now:
        override = None  # an expired override counts as absent at once
    walk = _walk(feature, row, plan, grant, override, now, request)
    granted, rule = walk.decided
    value = None
    if feature.kind == "limit":
        in_trial = row.status == "trial" and row.trial_ends_at and row.trial_ends_at > now
        value = _limit_value(feature, row, plan, grant, override, in_trial, walk)
    result = Explanation(slug, row.id, granted, value, rule, walk.steps, True, now)
    result.cache_agrees = _cache_agrees(row, feature, result, request)
    return result


def _cache_agrees(row: Tenant, feature: Feature, result: Explanation, request) -> bool:
    """Compare with the map a check would use now (L1, else L2, when its stamp is current); with
    none usable a check recomputes from the database, which agrees by construction."""
    from services.features import checks
    from services.tenancy.resolver import get_tenant

    context = get_tenant(row.id)
    cached = _usable_cached_map(context)
    if cached is None:
        return True
    entry = cached.entries.get(feature.slug)
    if entry is None:
        return False
    granted = checks.decide(entry, request)
    value = entry.value if feature.kind == "limit" else None
    return granted == result.granted and value == result.value


def _usable_cached_map(context) -> FeatureMap | None:
    from services.features import catalog
    from services.features.resolution import stamp_of

    stamp = stamp_of(context, catalog.current())
    now = time.time()
    candidates = (maps.l1.get(context.id, 0), maps.read_l2(context.id))
    for found in candidates:
        if found is not None and found.stamp == stamp and now < found.valid_until:
            return found
    return None


def purge_maps(actor, tenant: Tenant) -> None:
    """The "cache stale" button: a new tenant version restamps its maps in every process after
    commit (a plain tenant purge would keep a map whose stamp still matches)."""
    from services import activity
    from services.tenancy import invalidation

    invalidation.touch(tenant.id)
    activity.record(
        actor, "tenant.feature_cache_purged", "tenant", tenant.uuid, tenant_id=tenant.id
    )
