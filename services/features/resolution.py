"""A tenant's resolved feature map (spec 20 §5, §8): computed once, cached in L1 and L2, and
valid while its stamp matches and no trial or override expiry has passed."""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from app.cache import CacheError
from app.extensions import cache, db
from app.models.features import Feature, TenantFeature
from services.features import catalog as catalog_module
from services.features import values
from services.tenancy.context import TenantContext
from services.tenancy.resolver import LRU

log = logging.getLogger("features")

MAP_L1_SIZE = 10_000
FOREVER = float("inf")


@dataclass(frozen=True, slots=True)
class Effective:
    """One feature for one tenant, before kill switches and the crawler gate (applied at check
    time because they are global and change without touching any map)."""

    slug: str
    kind: str
    deprecating: bool
    override_disabled: bool
    platform_controlled: bool
    crawler_gated: bool
    granted: bool  # rules 5-8 (meaningless for platform-controlled features)
    stored_value: str | None  # limits: the deciding stored value, None for no access
    source: str  # deprecating | override_disabled | switch | trial | override | plan | none
    until: str | None = None  # ISO end of the trial or the override's expiry

    @property
    def value(self):
        """Limits: int, UNLIMITED or None (spec 20 §5.2)."""
        if self.deprecating:
            return values.UNLIMITED
        if self.override_disabled:
            return None
        return values.runtime(self.stored_value)


@dataclass(frozen=True, slots=True)
class FeatureMap:
    stamp: tuple
    valid_until: float  # epoch seconds
    entries: dict[str, Effective]

    def to_json(self) -> str:
        return json.dumps(
            {
                "stamp": list(self.stamp),
                "valid_until": None if self.valid_until == FOREVER else self.valid_until,
                "entries": [
                    [getattr(e, f) for f in Effective.__slots__] for e in self.entries.values()
                ],
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> FeatureMap:
        data = json.loads(raw)
        entries = {}
        for row in data["entries"]:
            entry = Effective(*row)
            entries[entry.slug] = entry
        until = data["valid_until"]
        return cls(tuple(data["stamp"]), FOREVER if until is None else float(until), entries)


def map_key(tenant_id: int) -> str:
    return f"features:map:{tenant_id}"


def stamp_of(tenant: TenantContext, catalog) -> tuple:
    plan = catalog.plans.get(tenant.platform_plan_id) if tenant.platform_plan_id else None
    return (
        tenant.version,
        tenant.platform_plan_id or 0,
        plan.grants_version if plan else 0,
        catalog.definitions_version,
    )


def load_overrides(tenant_id: int, now: datetime) -> dict[str, TenantFeature]:
    """The tenant's overrides that have not expired, by feature slug (one query)."""
    rows = db.session.execute(
        select(TenantFeature, Feature.slug)
        .join(Feature, Feature.id == TenantFeature.feature_id)
        .where(TenantFeature.tenant_id == tenant_id)
    ).all()
    return {slug: row for row, slug in rows if row.expires_at is None or row.expires_at > now}


def compute(tenant: TenantContext, catalog, overrides: dict, now: datetime) -> FeatureMap:
    """Rules 2-8 of spec 20 §5.1 and the limit order of §5.2 for every feature."""
    plan = catalog.plans.get(tenant.platform_plan_id) if tenant.platform_plan_id else None
    grants = plan.grants if plan else {}
    trial = tenant.in_trial(now)
    trial_until = tenant.trial_ends_at.isoformat() if trial else None
    entries: dict[str, Effective] = {}
    for slug, definition in catalog.features.items():
        override = overrides.get(slug)
        override_value = override.value if override is not None else None
        override_until = (
            override.expires_at.isoformat()
            if override is not None and override.expires_at
            else None
        )
        grant = grants.get(slug)
        common = {
            "slug": slug,
            "kind": definition.kind,
            "deprecating": definition.deprecating,
            "override_disabled": override_value == values.DISABLED,
            "platform_controlled": definition.platform_controlled,
            "crawler_gated": definition.crawler_gated,
        }
        if definition.deprecating:
            entries[slug] = Effective(
                **common, granted=True, stored_value=None, source="deprecating"
            )
        elif override_value == values.DISABLED:
            entries[slug] = Effective(
                **common,
                granted=False,
                stored_value=None,
                source="override_disabled",
                until=override_until,
            )
        elif definition.platform_controlled:
            entries[slug] = Effective(**common, granted=False, stored_value=None, source="switch")
        else:
            entries[slug] = _grant(
                common, definition, trial, trial_until, override_value, override_until, grant
            )
    return FeatureMap(stamp_of(tenant, catalog), _valid_until(tenant, trial, overrides), entries)


def _grant(common, definition, trial, trial_until, override_value, override_until, grant):
    usable_grant = grant if grant is not None and grant != values.DISABLED else None
    if definition.kind == "limit":
        # Limits: override value, then plan value, then the trial value (spec 20 §5.2).
        if override_value is not None:
            return Effective(
                **common,
                granted=True,
                stored_value=override_value,
                source="override",
                until=override_until,
            )
        if usable_grant is not None:
            return Effective(**common, granted=True, stored_value=usable_grant, source="plan")
        if trial and definition.accessible_during_trial and definition.trial_value is not None:
            return Effective(
                **common,
                granted=True,
                stored_value=definition.trial_value,
                source="trial",
                until=trial_until,
            )
        return Effective(**common, granted=False, stored_value=None, source="none")
    # Booleans: trial, then override, then plan (spec 20 §5.1 rules 5-8).
    if trial and definition.accessible_during_trial:
        return Effective(
            **common, granted=True, stored_value=None, source="trial", until=trial_until
        )
    if override_value is not None:
        return Effective(
            **common, granted=True, stored_value=None, source="override", until=override_until
        )
    if usable_grant is not None:
        return Effective(**common, granted=True, stored_value=None, source="plan")
    return Effective(**common, granted=False, stored_value=None, source="none")


def _valid_until(tenant: TenantContext, trial: bool, overrides: dict) -> float:
    """The map must be recomputed when the trial ends or the next override expires."""
    ends = [row.expires_at for row in overrides.values() if row.expires_at is not None]
    if trial:
        ends.append(tenant.trial_ends_at)
    return min(e.timestamp() for e in ends) if ends else FOREVER


class MapCache:
    """L1 (this process) and L2 (shared) maps; versions in the stamp make both exact."""

    def __init__(self):
        self.l1 = LRU(MAP_L1_SIZE)

    def get(self, tenant: TenantContext) -> FeatureMap:
        catalog = catalog_module.current()
        stamp = stamp_of(tenant, catalog)
        now = time.time()
        found = self.l1.get(tenant.id, 0)
        if found is not None and found.stamp == stamp and now < found.valid_until:
            return found
        found = self.read_l2(tenant.id)
        if found is None or found.stamp != stamp or now >= found.valid_until:
            moment = datetime.now(UTC)
            found = compute(tenant, catalog, load_overrides(tenant.id, moment), moment)
            self._write_l2(tenant.id, found)
        self.l1.put(tenant.id, found, None)
        return found

    def read_l2(self, tenant_id: int) -> FeatureMap | None:
        try:
            raw = cache.get(map_key(tenant_id))
            return FeatureMap.from_json(raw) if raw else None
        except (CacheError, ValueError, KeyError, TypeError):
            return None

    def _write_l2(self, tenant_id: int, feature_map: FeatureMap) -> None:
        try:
            cache.set(map_key(tenant_id), feature_map.to_json(), random.randint(700, 1000))
        except CacheError as exc:
            log.warning("features.cache_error %s", exc)

    def drop(self, tenant_id: int) -> None:
        self.l1.pop(tenant_id)


maps = MapCache()
