"""The in-process catalog snapshot: features, platform plans and their grants (spec 20 §8)."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from app.cache import CacheError
from app.extensions import cache, db
from app.models.features import ConfigVersion, Feature, PlatformPlan, PlatformPlanFeature
from services.features import registry, values

log = logging.getLogger("features")

L2_KEY = "features:catalog"
BACKSTOP_SECONDS = 30.0


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


def read_versions(executor=None) -> dict[str, int]:
    executor = executor if executor is not None else db.session
    rows = executor.execute(select(ConfigVersion.name, ConfigVersion.version)).all()
    return {name: int(version) for name, version in rows}


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


class CatalogHolder:
    """This process's catalog: loaded on first use, swapped on a bus message, and compared with
    the database at most every 30 s as a backstop for a missed message."""

    def __init__(self):
        self.current: Catalog = EMPTY
        self.loaded = False
        self.checked_at = 0.0
        self.wanted_version = 0
        self._lock = threading.Lock()

    def get(self) -> Catalog:
        if not self.loaded or self.wanted_version > self.current.version:
            self.refresh()
        elif time.monotonic() - self.checked_at > BACKSTOP_SECONDS:
            self._backstop()
        return self.current

    def refresh(self) -> Catalog:
        """Take the L2 snapshot when it is new enough, else load from the database."""
        with self._lock:
            catalog = self._from_l2()
            if catalog is None or catalog.version < max(self.wanted_version, 1):
                catalog = load_from_database()
                self._write_l2(catalog)
            self._swap(catalog)
            return catalog

    def _backstop(self) -> None:
        self.checked_at = time.monotonic()
        try:
            version = read_versions().get("feature_catalog", 0)
        except Exception:  # the database being away must not fail a feature check
            log.warning("features.catalog_backstop_failed", exc_info=True)
            return
        if version != self.current.version:
            self.wanted_version = version
            self.refresh()

    def _swap(self, catalog: Catalog) -> None:
        self.current = catalog
        self.loaded = True
        self.checked_at = time.monotonic()
        self._check_registry(catalog)

    def _check_registry(self, catalog: Catalog) -> None:
        missing = sorted(set(registry.FEATURES) - set(catalog.features))
        if missing:
            log.error("features.registry_missing slugs=%s (run features sync-catalog)", missing)

    def _from_l2(self) -> Catalog | None:
        try:
            raw = cache.get(L2_KEY)
            return Catalog.from_json(raw) if raw else None
        except (CacheError, ValueError, KeyError, TypeError):
            return None

    def _write_l2(self, catalog: Catalog) -> None:
        try:
            cache.set_if_newer(
                L2_KEY, catalog.to_json(), catalog.version, random.randint(700, 1000)
            )
        except CacheError as exc:
            log.warning("features.cache_error %s", exc)

    def announce(self, version: int | None) -> None:
        """A bus message: a newer catalog exists; the next check loads it."""
        self.wanted_version = max(self.wanted_version, int(version or 0))
        if version is None:
            self.loaded = False

    def reset(self) -> None:
        self.current, self.loaded, self.wanted_version = EMPTY, False, 0


holder = CatalogHolder()


def current() -> Catalog:
    return holder.get()


def feature(slug: str) -> FeatureDef | None:
    return holder.get().features.get(slug)


def runtime_trial_value(definition: FeatureDef):
    return values.runtime(definition.trial_value) if definition.trial_value else None
