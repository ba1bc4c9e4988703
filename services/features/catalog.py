"""The in-process catalog snapshot: features, platform plans and their grants (spec 20 §8)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.models.features import Feature, PlatformPlan, PlatformPlanFeature
from services.features import registry
from services.features.snapshots import VersionedSnapshot, read_versions

log = logging.getLogger("features")

L2_KEY = "features:catalog"


@dataclass(frozen=True)
class FeatureDef:
    id: int
    slug: str
    name: str
    description: str
    kind: str
    accessible_during_trial: bool
    trial_value: str | None
    deprecating: bool

    @property
    def spec(self) -> registry.FeatureSpec | None:
        return registry.FEATURES.get(self.slug)

    @property
    def platform_controlled(self) -> bool:
        spec = self.spec
        return bool(spec and spec.platform_controlled)

    @property
    def crawler_gated(self) -> bool:
        spec = self.spec
        return bool(spec and spec.crawler_gated)


@dataclass(frozen=True)
class PlanDef:
    id: int
    uuid: str
    slug: str
    name: str
    is_active: bool
    position: int
    grants_version: int
    grants: dict[str, str] = field(default_factory=dict)  # feature slug -> stored value


@dataclass(frozen=True)
class Catalog:
    """An immutable snapshot; replaced whole, never edited, so readers need no lock."""

    version: int
    definitions_version: int
    features: dict[str, FeatureDef]
    plans: dict[int, PlanDef]

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "definitions_version": self.definitions_version,
                "features": [f.__dict__ for f in self.features.values()],
                "plans": [p.__dict__ for p in self.plans.values()],
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> Catalog:
        data = json.loads(raw)
        return cls(
            version=int(data["version"]),
            definitions_version=int(data["definitions_version"]),
            features={f["slug"]: FeatureDef(**f) for f in data["features"]},
            plans={int(p["id"]): PlanDef(**p) for p in data["plans"]},
        )


EMPTY = Catalog(0, 0, {}, {})


def load_from_database(executor=None) -> Catalog:
    """Four small queries: versions, features, plans, grants."""
    executor = executor if executor is not None else db.session
    versions = read_versions(executor)
    features = {
        row.slug: FeatureDef(
            id=row.id,
            slug=row.slug,
            name=row.name,
            description=row.description,
            kind=row.kind,
            accessible_during_trial=row.accessible_during_trial,
            trial_value=row.trial_value,
            deprecating=row.deprecating,
        )
        for row in executor.execute(select(Feature.__table__)).all()
    }
    by_id = {f.id: f.slug for f in features.values()}
    grants: dict[int, dict[str, str]] = {}
    for row in executor.execute(select(PlatformPlanFeature.__table__)).all():
        slug = by_id.get(row.feature_id)
        if slug is not None:
            grants.setdefault(row.platform_plan_id, {})[slug] = row.value
    plans = {
        row.id: PlanDef(
            id=row.id,
            uuid=str(row.uuid),
            slug=row.slug,
            name=row.name,
            is_active=row.is_active,
            position=row.position,
            grants_version=row.grants_version,
            grants=grants.get(row.id, {}),
        )
        for row in executor.execute(select(PlatformPlan.__table__)).all()
    }
    return Catalog(
        version=versions.get("feature_catalog", 0),
        definitions_version=versions.get("feature_definitions", 0),
        features=features,
        plans=plans,
    )


class CatalogHolder(VersionedSnapshot):
    """This process's catalog; says at each swap which registry slugs the database lacks."""

    def __init__(self):
        super().__init__(L2_KEY, "feature_catalog", load_from_database, Catalog.from_json, EMPTY)

    def swapped(self, catalog: Catalog) -> None:
        missing = sorted(set(registry.FEATURES) - set(catalog.features))
        if missing:
            log.error("features.registry_missing slugs=%s (run features sync-catalog)", missing)


holder = CatalogHolder()


def current() -> Catalog:
    return holder.get()


def feature(slug: str) -> FeatureDef | None:
    return holder.get().features.get(slug)
