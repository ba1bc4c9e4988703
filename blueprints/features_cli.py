"""`flask --app wsgi features …`: catalogue sync, explain, grants and overrides (spec 20 §12)."""

import click
from flask.cli import AppGroup

from blueprints.cli import in_platform, iso_time
from services import activity, features
from services.features import (
    catalog,
    definitions,
    grants,
    overrides,
    switches,
    tenant_view,
    versions,
)
from services.tenancy import tenants as tenant_service

features_cli = AppGroup("features", help="Feature catalogue, grants, overrides and explain.")


@features_cli.command("sync-catalog")
@in_platform
def sync_catalog():
    """Insert the registry's features and kill switches the database lacks; edits nothing."""
    had_features = set(catalog.load_from_database().features)
    had_switches = set(switches.load_from_database().states)
    created = versions.sync_catalog()
    click.echo(f"created {created['features']} features, {created['switches']} kill switches")
    for slug in sorted(set(catalog.load_from_database().features) - had_features):
        click.echo(f"  feature {slug}")
    for name in sorted(set(switches.load_from_database().states) - had_switches):
        click.echo(f"  kill switch {name}")


@features_cli.command("list")
@in_platform
def list_features():
    """The catalogue with kinds and trial settings."""
    click.echo(f"{'SLUG':<40} {'KIND':<8} {'TRIAL':<14} NAME")
    for f in sorted(catalog.load_from_database().features.values(), key=lambda f: f.slug):
        trial = "no"
        if f.accessible_during_trial:
            trial = f"yes/{f.trial_value}" if f.trial_value else "yes"
        flags = " (deprecating)" if f.deprecating else ""
        flags += " (platform-controlled)" if f.platform_controlled else ""
        click.echo(f"{f.slug:<40} {f.kind:<8} {trial:<14} {f.name}{flags}")


@features_cli.command("explain")
@click.argument("tenant_slug")
@click.argument("feature")
@in_platform
def explain(tenant_slug, feature):
    """The rule walk of spec 20 §5.3 for one tenant and feature, from the database."""
    tenant = tenant_service.get_by_slug(tenant_slug)
    result = features.explain(tenant.id, definitions.find_feature(feature).slug)
    for step in result.steps:
        rule = "value" if step.rule == "value" else f"rule {step.rule}"
        click.echo(f"{rule:<8} {step.outcome:<8} {step.detail}")
    verdict = "granted" if result.granted else "denied"
    value = f", value {result.value}" if result.value is not None else ""
    click.echo(f"result: {verdict} by rule {result.decided_by}{value}")
    click.echo("cache: agrees" if result.cache_agrees else "cache: STALE (purge the tenant)")


@features_cli.command("grant")
@click.argument("platform_plan")
@click.argument("feature")
@click.argument("value")
@in_platform
def grant(platform_plan, feature, value):
    """Set what PLATFORM_PLAN (a slug) grants for FEATURE."""
    plan, found = definitions.find_plan_by_slug(platform_plan), definitions.find_feature(feature)
    grants.set_grant(activity.cli_actor(), plan, found, value)
    click.echo(f"plan {plan.slug} grants {found.slug}")


@features_cli.command("revoke")
@click.argument("platform_plan")
@click.argument("feature")
@in_platform
def revoke(platform_plan, feature):
    """Remove PLATFORM_PLAN's grant of FEATURE."""
    plan, found = definitions.find_plan_by_slug(platform_plan), definitions.find_feature(feature)
    grants.remove_grant(activity.cli_actor(), plan, found)
    click.echo(f"plan {plan.slug} no longer grants {found.slug}")


@features_cli.command("override")
@click.argument("tenant_slug")
@click.argument("feature")
@click.argument("value")
@click.option("--reason", required=True, help="Why (5 to 500 characters).")
@click.option("--expires", help="Expiry as an ISO time (UTC when no offset); in the future.")
@in_platform
def override(tenant_slug, feature, value, reason, expires):
    """Give TENANT_SLUG its own VALUE for FEATURE."""
    expires_at = iso_time(expires, "--expires")
    tenant, found = tenant_service.get_by_slug(tenant_slug), definitions.find_feature(feature)
    canonical = tenant_view.check_override_value(found, value)
    overrides.set_override(activity.cli_actor(), tenant, found, canonical, reason, expires_at)
    click.echo(f"override {found.slug}={canonical} set for {tenant.slug}")


@features_cli.command("remove-override")
@click.argument("tenant_slug")
@click.argument("feature")
@click.option("--reason", required=True, help="Why (5 to 500 characters).")
@in_platform
def remove_override(tenant_slug, feature, reason):
    """Remove TENANT_SLUG's override of FEATURE."""
    tenant, found = tenant_service.get_by_slug(tenant_slug), definitions.find_feature(feature)
    overrides.remove_override(activity.cli_actor(), tenant, found, reason)
    click.echo(f"override {found.slug} removed for {tenant.slug}")
