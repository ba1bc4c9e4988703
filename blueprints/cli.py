"""The `flask --app wsgi` commands: demo seed, tenants, domains, tenancy cache, users, tokens."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.extensions import db
from services import activity, api_tokens, currencies, seed, users
from services.errors import DomainError
from services.features import definitions
from services.links import set_password_url
from services.tenancy import context, invalidation
from services.tenancy import domains as domain_service
from services.tenancy import inspect as tenancy_inspect
from services.tenancy import tenants as tenant_service


def in_platform(fn):
    """Run a command in platform context and commit once at the end; domain errors exit 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        token = context.enter_platform()
        try:
            result = fn(*args, **kwargs)
            db.session.commit()
            return result
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        finally:
            context.reset_scope(token)

    return wrapper


def iso_time(value: str | None, option: str) -> datetime | None:
    """An ISO time option; one without an offset is taken as UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO time", param_hint=option) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


tenants_cli = AppGroup("tenants", help="Create, list, suspend and reactivate tenants.")
domains_cli = AppGroup("domains", help="Custom domains of tenants.")
tenancy_cli = AppGroup("tenancy", help="Inspect and purge the tenant cache.")
users_cli = AppGroup("users", help="Staff accounts and password links.")
tokens_cli = AppGroup("api-tokens", help="Internal API tokens.")
currencies_cli = AppGroup("currencies", help="The currency registry.")


@click.command("seed-demo")
@with_appcontext
@in_platform
def seed_demo():
    """Create the demo tenants and logins (idempotent); refused in production."""
    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException(
            "seed-demo creates known passwords; refused with APP_ENV=production"
        )
    for line in seed.seed_demo():
        click.echo(line)


@tenants_cli.command("create")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--platform-plan", help="Slug of the platform plan.")
@click.option("--status", type=click.Choice(["trial", "active"]), default="trial")
@click.option("--trial-days", type=int, default=14)
@click.option("--timezone", default="UTC")
@click.option("--locale", default="en")
@click.option("--currency", default="USD")
@click.option("--admin-email")
@click.option("--admin-name")
@in_platform
def tenants_create(
    slug,
    name,
    platform_plan,
    status,
    trial_days,
    timezone,
    locale,
    currency,
    admin_email,
    admin_name,
):
    plan = definitions.find_plan_by_slug(platform_plan) if platform_plan else None
    tenant, admin = tenant_service.create_tenant(
        activity.cli_actor(),
        slug=slug,
        name=name,
        status=status,
        trial_days=trial_days,
        timezone=timezone,
        locale=locale,
        currency=currency,
        admin_email=admin_email,
        admin_name=admin_name,
        platform_plan_id=plan.id if plan else None,
    )
    click.echo(f"created {tenant.slug} ({tenant.uuid})")
    if admin:
        click.echo(f"set-password link: {set_password_url(tenant, admin)}")


@tenants_cli.command("list")
@click.option("--status", default="")
@in_platform
def tenants_list(status):
    for t in tenant_service.list_tenants(status=status).rows:
        click.echo(f"{t.slug:<32} {t.status:<10} {t.uuid}  {t.name}")


@tenants_cli.command("suspend")
@click.argument("slug")
@click.option("--reason", required=True)
@in_platform
def tenants_suspend(slug, reason):
    tenant_service.suspend_tenant(activity.cli_actor(), tenant_service.get_by_slug(slug), reason)
    click.echo(f"suspended {slug}")


@tenants_cli.command("reactivate")
@click.argument("slug")
@click.option("--reason", required=True)
@in_platform
def tenants_reactivate(slug, reason):
    tenant_service.reactivate_tenant(activity.cli_actor(), tenant_service.get_by_slug(slug), reason)
    click.echo(f"reactivated {slug}")


@domains_cli.command("add")
@click.argument("slug")
@click.argument("host")
@click.option("--primary", is_flag=True)
@in_platform
def domains_add(slug, host, primary):
    domain = domain_service.add_domain(
        activity.cli_actor(), tenant_service.get_by_slug(slug), host, primary
    )
    click.echo(f"added {domain.host}")


@domains_cli.command("remove")
@click.argument("host")
@in_platform
def domains_remove(host):
    domain_service.remove_domain(activity.cli_actor(), host)
    click.echo(f"removed {host}")


@domains_cli.command("set-primary")
@click.argument("host")
@in_platform
def domains_set_primary(host):
    domain_service.set_primary(activity.cli_actor(), host)
    click.echo(f"{host} is now primary")


@tenancy_cli.command("resolve")
@click.argument("host")
@in_platform
def tenancy_resolve(host):
    report = tenancy_inspect.inspect_host(host)
    for key, value in report.items():
        click.echo(f"{key:<16} {getattr(value, 'slug', value)}")


@tenancy_cli.command("cache-purge")
@click.option("--tenant", "slug")
@click.option("--all", "purge_all", is_flag=True)
@in_platform
def tenancy_cache_purge(slug, purge_all):
    if purge_all:
        invalidation.register(db.session, "all")
    elif slug:
        tenant_service.purge_cache(activity.cli_actor(), tenant_service.get_by_slug(slug))
    else:
        raise click.UsageError("give --tenant SLUG or --all")
    click.echo("purged")


@users_cli.command("create-staff")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--super-admin", is_flag=True)
@click.password_option()
@in_platform
def users_create_staff(email, name, super_admin, password):
    user = users.create_staff(
        activity.cli_actor(), email=email, name=name, password=password, super_admin=super_admin
    )
    click.echo(f"created staff {user.email}")


@users_cli.command("password-link")
@click.option("--email", required=True)
@click.option("--tenant", "slug")
@in_platform
def users_password_link(email, slug):
    tenant = tenant_service.get_by_slug(slug) if slug else None
    scope = context.tenant_scope(tenant.id) if tenant else _nullcontext()
    with scope:
        user = users.find_by_email(users.normalise_email(email))
        if user is None:
            raise click.ClickException("no such user")
        click.echo(set_password_url(tenant, user))


def _nullcontext():
    import contextlib

    return contextlib.nullcontext()


@tokens_cli.command("create")
@click.option("--name", required=True)
@click.option("--expires-days", type=int)
@in_platform
def tokens_create(name, expires_days):
    _, token = api_tokens.create(activity.cli_actor(), name, expires_days)
    click.echo(token)


@tokens_cli.command("revoke")
@click.argument("prefix")
@in_platform
def tokens_revoke(prefix):
    api_tokens.revoke(activity.cli_actor(), prefix)
    click.echo(f"revoked {prefix}")


@currencies_cli.command("seed")
@in_platform
def currencies_seed():
    click.echo(f"added {currencies.seed()} currencies")


def init_app(app) -> None:
    app.cli.add_command(seed_demo)
    from blueprints.commerce_cli import commerce_cli
    from blueprints.features_cli import features_cli
    from blueprints.kill_switch_cli import kill_switch_cli
    from blueprints.shipping_cli import shipping_cli

    groups = (tenants_cli, domains_cli, tenancy_cli, users_cli, tokens_cli, currencies_cli)
    for group in (*groups, features_cli, kill_switch_cli, commerce_cli, shipping_cli):
        app.cli.add_command(group)
