"""`flask --app wsgi features …` (spec 20 §12; §15 items 41, 42): catalogue sync, list, explain,
grants and overrides, with domain errors as a non-zero exit and nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models.activity import Activity
from app.models.base import utcnow
from app.models.features import Feature, KillSwitch, PlatformPlanFeature, TenantFeature
from app.models.tenancy import Tenant
from services import features
from services.features import definitions, grants, registry
from services.tenancy.resolver import get_tenant
from tests.factories import ACTOR
from tests.functional.conftest import in_platform


def run(app, *args, exit_code: int = 0) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == exit_code, result.output
    return result.output


@pytest.fixture
def growth(app):
    with in_platform(app):
        plan = definitions.create_plan(ACTOR, slug="growth", name="Growth")
        grants.set_grant(ACTOR, plan, definitions.find_feature("admin_limit"), "5")
    return plan


@pytest.fixture
def tenant(app, make_tenant, growth):
    row = make_tenant(slug="clibooks", name="CLI Books")
    with in_platform(app):
        grants.assign_plan(ACTOR, db.session.get(Tenant, row.id), growth)
    return row


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def actions(app, action: str) -> list[Activity]:
    with app.app_context():
        return list(db.session.scalars(select(Activity).where(Activity.action == action)))


def test_sync_catalog_twice_creates_each_once_and_keeps_staff_edits(app):
    with in_platform(app):
        db.session.execute(delete(KillSwitch).where(KillSwitch.name == "payment_sync"))
        db.session.execute(delete(Feature).where(Feature.slug == "consumption_api"))
        definitions.update_feature(
            ACTOR, definitions.find_feature("automations"), name="Robots", description="Ours"
        )
    first = run(app, "features", "sync-catalog")
    assert "created 1 features, 1 kill switches" in first
    assert "feature consumption_api" in first and "kill switch payment_sync" in first
    second = run(app, "features", "sync-catalog")
    assert second.strip() == "created 0 features, 0 kill switches"
    for slug in registry.FEATURES:
        assert count(app, Feature, Feature.slug == slug) == 1
    for name in registry.SWITCHES:
        assert count(app, KillSwitch, KillSwitch.name == name) == 1
    with app.app_context():
        robots = db.session.scalar(select(Feature).where(Feature.slug == "automations"))
        assert (robots.name, robots.description) == ("Robots", "Ours")


def test_list_shows_kinds_and_trial_settings(app):
    with in_platform(app):
        definitions.update_feature(
            ACTOR,
            definitions.find_feature("admin_limit"),
            accessible_during_trial=True,
            trial_value="2",
        )
    lines = run(app, "features", "list").splitlines()
    admin = next(line for line in lines if line.startswith("admin_limit "))
    assert admin.split()[:3] == ["admin_limit", "limit", "yes/2"]
    search = next(line for line in lines if line.startswith("storefront_search "))
    assert "boolean" in search and "(platform-controlled)" in search


def test_explain_prints_the_steps_in_order(app, tenant):
    lines = run(app, "features", "explain", "clibooks", "admin_limit").splitlines()
    rules = [line.split()[1] if line.startswith("rule") else line.split()[0] for line in lines]
    assert rules[:7] == ["2", "3", "4", "5", "6", "7", "value"]
    assert lines[5].split(None, 3)[-1] == "granted by plan Growth, value 5"
    assert "result: granted by rule 7, value 5" in lines
    assert lines[-1] == "cache: agrees"
    missing = run(app, "features", "explain", "clibooks", "nope", exit_code=1)
    assert "No feature nope." in missing
    assert "No tenant" in run(app, "features", "explain", "nobody", "automations", exit_code=1)


def test_grant_and_revoke(app, growth):
    out = run(app, "features", "grant", "growth", "issues_limit", "007")
    assert "plan growth grants issues_limit" in out
    with app.app_context():
        stored = db.session.scalar(
            select(PlatformPlanFeature.value)
            .join(Feature, Feature.id == PlatformPlanFeature.feature_id)
            .where(
                Feature.slug == "issues_limit", PlatformPlanFeature.platform_plan_id == growth.id
            )
        )
    assert stored == "7"
    (granted,) = actions(app, "platform_plan.grant_set")[-1:]
    assert granted.actor_label.startswith("cli:") and granted.after["value"] == "7"
    bad = run(app, "features", "grant", "growth", "issues_limit", "1e3", exit_code=1)
    assert "whole number" in bad
    assert "No platform plan 'gold'" in run(
        app, "features", "grant", "gold", "issues_limit", "5", exit_code=1
    )
    run(app, "features", "revoke", "growth", "issues_limit")
    assert count(app, PlatformPlanFeature, PlatformPlanFeature.platform_plan_id == growth.id) == 1
    again = run(app, "features", "revoke", "growth", "issues_limit", exit_code=1)
    assert "has no grant" in again


def test_override_and_remove_override(app, tenant):
    expires = (utcnow() + timedelta(days=10)).isoformat()
    args = ["features", "override", "clibooks", "automations", "enabled"]
    out = run(app, *args, "--reason", "Pilot customer", "--expires", expires)
    assert "override automations=enabled set for clibooks" in out
    with app.app_context():
        assert features.enabled(get_tenant(tenant.id), "automations")
    (row,) = actions(app, "tenant.override_set")
    assert row.actor_label.startswith("cli:") and row.actor_id is None
    assert row.before["value"] is None and row.after["value"] == "enabled"
    run(app, "features", "remove-override", "clibooks", "automations", "--reason", "Pilot over")
    assert count(app, TenantFeature, TenantFeature.tenant_id == tenant.id) == 0
    with app.app_context():
        assert not features.enabled(get_tenant(tenant.id), "automations")
    assert len(actions(app, "tenant.override_removed")) == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["automations", "maybe", "--reason", "Pilot customer"], 1, "Choose 'enabled'"),
        (["automations", "enabled", "--reason", "no"], 1, "Give a reason of 5"),
        (["automations", "enabled", "--reason", "Pilot", "--expires", "2001-01-01"], 1, "future"),
        (["automations", "enabled", "--reason", "Pilot", "--expires", "soon"], 2, "ISO time"),
        (["storefront_search", "enabled", "--reason", "Pilot customer"], 1, "Only 'disabled'"),
        (["nope", "enabled", "--reason", "Pilot customer"], 1, "No feature nope."),
    ],
)
def test_bad_override_exits_non_zero_and_changes_nothing(app, tenant, args, code, message):
    out = run(app, "features", "override", "clibooks", *args, exit_code=code)
    assert message in out
    assert count(app, TenantFeature, TenantFeature.tenant_id == tenant.id) == 0
    assert actions(app, "tenant.override_set") == []


def test_remove_missing_override_fails(app, tenant):
    args = ["features", "remove-override", "clibooks", "automations", "--reason", "Tidy up"]
    assert "No override of automations" in run(app, *args, exit_code=1)
    assert actions(app, "tenant.override_removed") == []
