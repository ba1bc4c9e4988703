"""The `flask --app wsgi commerce` commands (spec 30 §11): housekeeping by hand, a balance,
the ledger check, voiding a payment row, and the synthetic load for benchmarks."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.models.base import utcnow
from blueprints.cli import in_platform
from services import activity, ledger, ledger_verify, ledger_void, order_housekeeping
from services.order_queries_cli import order_by_uuid, payment_tenant
from services.tenancy import tenant_scope
from services.tenancy import tenants as tenant_service

commerce_cli = AppGroup("commerce", help="Orders, the payments ledger and housekeeping.")


def _tenants(slug: str | None) -> list[int]:
    if slug:
        return [tenant_service.get_by_slug(slug).id]
    return order_housekeeping.tenant_ids()


@commerce_cli.command("expire-plans")
@click.option("--tenant", "slug", default=None)
@click.option("--dry-run", is_flag=True)
@in_platform
def expire_plans(slug, dry_run):
    """Approved lines whose end has passed become expired."""
    now, total = utcnow(), 0
    for tenant_id in _tenants(slug):
        with tenant_scope(tenant_id):
            if dry_run:
                total += len(order_housekeeping.due_to_expire(tenant_id, now, limit=10**9))
                continue
            while changed := order_housekeeping.expire_batch(tenant_id, now):
                total += changed
                db.session.commit()
    click.echo(f"{'would expire' if dry_run else 'expired'} {total} lines")


@commerce_cli.command("prune-pending")
@click.option("--dry-run", is_flag=True)
@in_platform
def prune_pending(dry_run):
    """Delete pending orders older than six months that have no payment row."""
    now, total = utcnow(), 0
    for tenant_id in _tenants(None):
        with tenant_scope(tenant_id):
            if dry_run:
                total += len(order_housekeeping.prunable_orders(tenant_id, now, limit=10**9))
                continue
            while changed := order_housekeeping.prune_batch(tenant_id, now):
                total += changed
                db.session.commit()
    click.echo(f"{'would prune' if dry_run else 'pruned'} {total} orders")


@commerce_cli.command("balance")
@click.argument("order_uuid")
@in_platform
def balance(order_uuid):
    """An order's balance per line, cycle and part, from the ledger."""
    order = order_by_uuid(order_uuid)
    with tenant_scope(order.tenant_id):
        result = ledger.order_balance(order.tenant_id, order.id)
    click.echo(f"order {order.uuid} {order.currency} status={order.status}")
    for line_id, cycles in sorted(result.lines.items()):
        for cycle, totals in sorted(cycles.items()):
            click.echo(
                f"  line {line_id} cycle {cycle}: approved={totals.approved} "
                f"refunded={totals.refunded} disputed={totals.disputed} net={totals.net}"
            )
    for cycle, totals in sorted(result.shipping.items()):
        click.echo(f"  shipping cycle {cycle}: net={totals.net}")
    click.echo(
        f"  total: approved={result.total.approved} refunded={result.total.refunded} "
        f"disputed={result.total.disputed} net={result.total.net}"
    )


@commerce_cli.command("verify-ledger")
@click.option("--tenant", "slug", default=None)
@in_platform
def verify_ledger(slug):
    """Recompute keys and caps; exit 1 when anything is wrong."""
    findings = []
    for tenant_id in _tenants(slug):
        with tenant_scope(tenant_id):
            findings += [f"tenant {tenant_id}: {f}" for f in ledger_verify.verify(tenant_id)]
    for finding in findings:
        click.echo(finding)
    click.echo(f"{len(findings)} findings")
    if findings:
        raise SystemExit(1)


@commerce_cli.command("void-payment")
@click.argument("payment_uuid")
@click.option("--reason", required=True)
@click.option("--restore", is_flag=True)
@in_platform
def void_payment(payment_uuid, reason, restore):
    """Soft-delete a payment row (or restore it); staff only, always with a reason."""
    with tenant_scope(payment_tenant(payment_uuid)):
        row = ledger_void.void_payment(activity.cli_actor(), payment_uuid, reason, restore)
        db.session.commit()
    click.echo(f"payment {row.uuid} {'restored' if restore else 'voided'}")


@commerce_cli.command("seed-load")
@click.option("--orders", type=click.IntRange(1), required=True)
@click.option("--payments", type=click.IntRange(60), required=True)
@click.option("--tenant", "slug", required=True)
@in_platform
def seed_load(orders, payments, slug):
    """Synthetic orders and payment rows for benchmarks (development and test databases only)."""
    from services import commerce_load

    tenant = tenant_service.get_by_slug(slug)
    env = current_app.config["APP_ENV"]
    with tenant_scope(tenant.id):
        result = commerce_load.load(tenant.id, orders, payments, env)
    click.echo(
        f"{result.orders:,} orders, {result.payments:,} payments, {result.users:,} readers "
        f"in {result.seconds} s; 60-row order {result.detail_order_uuid}"
    )
