"""Read queries behind the staff catalogue, plans and grants-matrix pages (spec 20 §11.2, §11.3)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.extensions import db
from app.models.features import (
    Feature,
    KillSwitch,
    PlatformPlan,
    PlatformPlanFeature,
    TenantFeature,
)
from app.models.tenancy import Tenant
from services.features import registry


@dataclass(frozen=True)
class References:
    """What still points at a feature: grants, overrides, a kill switch."""

    grants: int = 0
    overrides: int = 0
    switch: bool = False

    @property
    def any(self) -> bool:
        return bool(self.grants or self.overrides or self.switch)

    def describe(self) -> str:
        parts = []
        if self.grants:
            parts.append(_count(self.grants, "plan grant"))
        if self.overrides:
            parts.append(_count(self.overrides, "tenant override"))
        if self.switch:
            parts.append("a kill switch")
        return ", ".join(parts) or "nothing"


@dataclass(frozen=True)
class FeatureRow:
    """One line of the catalogue: the definition and how much uses it."""

    feature: Feature
    plans_granting: int  # grants whose value is not 'disabled'
    refs: References

    @property
    def spec(self) -> registry.FeatureSpec | None:
        return registry.FEATURES.get(self.feature.slug)

    @property
    def in_registry(self) -> bool:
        return self.spec is not None

    @property
    def platform_controlled(self) -> bool:
        return bool(self.spec and self.spec.platform_controlled)

    @property
    def deletable(self) -> bool:
        return not self.in_registry and not self.refs.any


@dataclass(frozen=True)
class PlanRow:
    plan: PlatformPlan
    tenants: int


@dataclass
class Matrix:
    """Rows are features grouped by kind, columns are plans; `cells` maps (plan id, feature id)
    to the stored grant value."""

    plans: list[PlanRow]
    groups: list[tuple[str, list[Feature]]]
    cells: dict[tuple[int, int], str] = field(default_factory=dict)

    def value(self, plan: PlatformPlan, feature: Feature) -> str | None:
        return self.cells.get((plan.id, feature.id))

    @staticmethod
    def platform_controlled(feature: Feature) -> bool:
        """Decided by its kill switch alone: its grants are shown but never consulted."""
        spec = registry.FEATURES.get(feature.slug)
        return bool(spec and spec.platform_controlled)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _feature_query():
    grants = (
        select(
            PlatformPlanFeature.feature_id,
            func.count().label("total"),
            func.count().filter(PlatformPlanFeature.value != "disabled").label("granting"),
        )
        .group_by(PlatformPlanFeature.feature_id)
        .subquery()
    )
    overrides = (
        select(TenantFeature.feature_id, func.count().label("total"))
        .group_by(TenantFeature.feature_id)
        .subquery()
    )
    return (
        select(
            Feature,
            func.coalesce(grants.c.granting, 0),
            func.coalesce(grants.c.total, 0),
            func.coalesce(overrides.c.total, 0),
            KillSwitch.id.is_not(None),
        )
        .outerjoin(grants, grants.c.feature_id == Feature.id)
        .outerjoin(overrides, overrides.c.feature_id == Feature.id)
        .outerjoin(KillSwitch, KillSwitch.feature_id == Feature.id)
    )


def _row(result) -> FeatureRow:
    feature, granting, grants, overrides, switch = result
    return FeatureRow(feature, int(granting), References(int(grants), int(overrides), bool(switch)))


def feature_rows() -> list[FeatureRow]:
    """The whole catalogue, booleans first, then by slug."""
    query = _feature_query().order_by(Feature.kind, Feature.slug)
    return [_row(result) for result in db.session.execute(query)]


def feature_row(feature: Feature) -> FeatureRow:
    return _row(db.session.execute(_feature_query().where(Feature.id == feature.id)).one())


def references(feature: Feature) -> References:
    return feature_row(feature).refs


def tenants_on_plan(plan: PlatformPlan) -> int:
    query = select(func.count(Tenant.id)).where(Tenant.platform_plan_id == plan.id)
    return int(db.session.scalar(query) or 0)


def tenant_total() -> int:
    """Every tenant: a deprecating feature is granted to all of them."""
    return int(db.session.scalar(select(func.count(Tenant.id))) or 0)


def plan_rows() -> list[PlanRow]:
    """Plans in display order, each with the number of tenants on it."""
    counts = (
        select(Tenant.platform_plan_id, func.count(Tenant.id).label("n"))
        .where(Tenant.platform_plan_id.is_not(None))
        .group_by(Tenant.platform_plan_id)
        .subquery()
    )
    query = (
        select(PlatformPlan, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.platform_plan_id == PlatformPlan.id)
        .order_by(PlatformPlan.position, PlatformPlan.name, PlatformPlan.id)
    )
    return [PlanRow(plan, int(n)) for plan, n in db.session.execute(query)]


def matrix() -> Matrix:
    """Three queries: plans with tenant counts, features, grants."""
    features = list(db.session.scalars(select(Feature).order_by(Feature.slug)))
    groups = [
        (kind, [f for f in features if f.kind == kind])
        for kind in ("boolean", "limit")
        if any(f.kind == kind for f in features)
    ]
    rows = db.session.execute(
        select(
            PlatformPlanFeature.platform_plan_id,
            PlatformPlanFeature.feature_id,
            PlatformPlanFeature.value,
        )
    )
    cells = {(plan_id, feature_id): value for plan_id, feature_id, value in rows}
    return Matrix(plan_rows(), groups, cells)
