"""What a tenant's admins read on /dashboard/features (spec 20 §11.1): rows, usage and the
tenant-facing wording of §5.3, which never names staff or switch reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.features import catalog, checks, registry, values
from services.features.resolution import Effective
from services.features.switches import board
from services.tenancy.context import TenantContext

WARNING_PERCENT = 80
STATE_LABELS = {"on": "On", "off": "Off", "unavailable": "Temporarily unavailable"}
LEVEL_LABELS = {
    "normal": "",
    "warning": "Nearly at the limit",
    "reached": "Limit reached",
    "over": "Over limit",
    "unlimited": "",
}


@dataclass(frozen=True)
class FeatureRow:
    slug: str
    name: str
    description: str
    state: str  # on | off | unavailable
    source: str

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass(frozen=True)
class LimitRow:
    slug: str
    name: str
    description: str
    style: str | None  # count | maximum | None (staff-created)
    value_text: str
    source: str


@dataclass(frozen=True)
class UsageRow:
    slug: str
    name: str
    text: str  # "3 of 5 administrators"
    level: str  # normal | warning | reached | over | unlimited
    percent: int  # how full the bar is, 0-100

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]


@dataclass(frozen=True)
class Overview:
    features: list[FeatureRow]
    everyone: list[FeatureRow]  # deprecating: included for every tenant
    limits: list[LimitRow]
    plan_name: str | None
    trial_ends: str | None  # in the tenant's time zone, while in trial


def build(tenant: TenantContext, now: datetime | None = None) -> Overview:
    """The page's rows from the tenant's resolved map (one cache read when warm)."""
    snapshot = catalog.current()
    entries = checks.effective_map(tenant)
    plan = snapshot.plans.get(tenant.platform_plan_id) if tenant.platform_plan_id else None
    plan_name = plan.name if plan else None
    rows, everyone, limits = [], [], []
    for definition in sorted(snapshot.features.values(), key=lambda d: d.name.lower()):
        entry = entries.get(definition.slug)
        if entry is None:
            continue
        source = source_text(entry, tenant, plan_name)
        if entry.deprecating:
            everyone.append(
                FeatureRow(definition.slug, definition.name, definition.description, "on", source)
            )
        elif entry.kind == "boolean":
            state = _state(tenant, entry)
            rows.append(
                FeatureRow(definition.slug, definition.name, definition.description, state, source)
            )
        else:
            spec = registry.FEATURES.get(definition.slug)
            style = spec.style if spec else None
            limits.append(
                LimitRow(
                    definition.slug,
                    definition.name,
                    definition.description,
                    style,
                    limit_text(entry.value, style),
                    source,
                )
            )
    trial_ends = None
    if tenant.in_trial(now):
        trial_ends = f"{local_time(tenant.trial_ends_at, tenant)} ({tenant.timezone})"
    return Overview(rows, everyone, limits, plan_name, trial_ends)


def _state(tenant: TenantContext, entry: Effective) -> str:
    if checks.enabled(tenant, entry.slug):
        return "on"
    if entry.platform_controlled and not entry.override_disabled:
        return "unavailable"  # only a kill switch denies a platform-controlled feature here
    return "off"


def source_text(entry: Effective, tenant: TenantContext, plan_name: str | None) -> str:
    """Where a feature's state comes from, in the words of spec 20 §5.3 for tenants."""
    source = entry.source
    if source == "deprecating":
        return "Included for everyone"
    if source == "override_disabled":
        return "Turned off for your account"
    if source == "switch":
        on = board.enabled(entry.slug)
        return "Available to every store" if on else STATE_LABELS["unavailable"]
    if source == "trial":
        return f"Included in your trial until {local_date(entry.until, tenant)}"
    if source == "override":
        until = f" until {local_date(entry.until, tenant)}" if entry.until else ""
        return f"Added to your account{until}"
    if source == "plan" and plan_name:
        return f"Included in your platform plan {plan_name}"
    return "Not included in your platform plan"


def limit_text(value, style: str | None) -> str:
    """'5', 'Unlimited' or 'Not included'; maximum limits read 'up to 80 %'."""
    if style == "maximum" and isinstance(value, int):
        return f"up to {value} %"
    return values.display(value)


def usage(tenant: TenantContext) -> list[UsageRow]:
    """Usage bars of the count limits that have a usage provider; counting runs only here, so
    the page itself never waits for it."""
    snapshot = catalog.current()
    rows = []
    for spec in sorted(registry.FEATURES.values(), key=lambda s: s.name.lower()):
        definition = snapshot.features.get(spec.slug)
        if spec.style != "count" or definition is None or definition.deprecating:
            continue
        current = checks.usage(tenant, spec.slug)
        if current is None:
            continue
        limit = checks.limit(tenant, spec.slug)
        level, percent = usage_level(current, limit)
        text = usage_text(current, limit, spec.unit)
        rows.append(UsageRow(spec.slug, definition.name, text, level, percent))
    return rows


def usage_level(current: int, limit) -> tuple[str, int]:
    """normal below 80 %, warning from 80 to 99 %, reached at 100 %, over above; no access
    counts as a limit of 0."""
    if limit is values.UNLIMITED:
        return "unlimited", 0
    cap = limit or 0
    if current > cap:
        return "over", 100
    if current == cap:
        return "reached", 100
    percent = current * 100 // cap
    return ("warning" if percent >= WARNING_PERCENT else "normal"), percent


def usage_text(current: int, limit, unit: str) -> str:
    if limit is values.UNLIMITED:
        return f"{current} {unit}, no limit"
    if limit is None:
        return f"{current} {unit}; not included in your platform plan"
    return f"{current} of {limit} {unit}"


def local_time(moment: datetime, tenant: TenantContext) -> str:
    return moment.astimezone(tenant.tzinfo).strftime("%Y-%m-%d %H:%M")


def local_date(iso: str | None, tenant: TenantContext) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(tenant.tzinfo).strftime("%Y-%m-%d")
