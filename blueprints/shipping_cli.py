"""The `flask --app wsgi shipping` commands (spec 30 §11): create the shipping notes that paid
charges are owed, by hand, for every tenant with physicals_goods."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models.tenancy import Tenant
from blueprints.cli import in_platform
from services import shipping_cycles

shipping_cli = AppGroup("shipping", help="Shipping notes.")


@shipping_cli.command("create-cycle-notes")
@click.option("--dry-run", is_flag=True, help="Count the missing notes; create nothing.")
@in_platform
def create_cycle_notes(dry_run):
    """Create every shipping note due by today that is still missing (safe to repeat)."""
    total = 0
    for tenant_id in shipping_cycles.tenants_with_feature():
        count = shipping_cycles.create_cycle_notes(tenant_id, dry_run=dry_run)
        if not dry_run:
            db.session.commit()  # one tenant at a time, as the daily task does
        if count:
            slug = db.session.scalar(select(Tenant.slug).where(Tenant.id == tenant_id))
            click.echo(f"{slug}: {count}")
        total += count
    click.echo(f"{'would create' if dry_run else 'created'} {total} shipping notes")
