"""Config versions and the after-commit broadcast every feature write uses (spec 20 §2.8, §8);
`sync_catalog` inserts what the registry declares and the database lacks."""

from __future__ import annotations

from sqlalchemy import select, update

from app.extensions import db
from app.models.base import utcnow
from app.models.features import ConfigVersion, Feature, KillSwitch
from services.features import registry
from services.tenancy import invalidation
from services.tenancy.bus import bus

CONFIG_NAMES = ("feature_definitions", "feature_catalog", "kill_switches")


def bump(name: str) -> int:
    """Increment a config version in the writer's transaction; returns the new version."""
    db.session.execute(
        update(ConfigVersion)
        .where(ConfigVersion.name == name)
        .values(version=ConfigVersion.version + 1, updated_at=utcnow())
    )
    return int(db.session.scalar(select(ConfigVersion.version).where(ConfigVersion.name == name)))


def broadcast(message: dict, before_publish=None) -> None:
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
        broadcast({"type": "catalog", "version": bump("feature_catalog")})
        bump("feature_definitions")
    if created["switches"]:
        broadcast({"type": "switches", "version": bump("kill_switches")})
    return created
