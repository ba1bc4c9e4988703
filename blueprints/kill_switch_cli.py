"""`flask --app wsgi kill-switch …`: toggles for when the web UI is unavailable (spec 20 §12)."""

import click
from flask.cli import AppGroup

from blueprints.cli import in_platform, iso_time
from services import activity
from services.features import kill_switches, registry, switch_queries

kill_switch_cli = AppGroup("kill-switch", help="List and toggle platform kill switches.")


def _known(name: str) -> str:
    if name not in registry.SWITCHES:
        known = ", ".join(registry.SWITCHES)
        raise click.ClickException(f"Unknown kill switch {name!r}. Known switches: {known}.")
    return name


@kill_switch_cli.command("list")
@in_platform
def list_switches():
    """Effective, database and environment state of every switch."""
    panel = switch_queries.panel()
    click.echo(f"{'NAME':<32} {'EFFECTIVE':<9} {'DATABASE':<8} {'ENVIRONMENT':<11} PENDING")
    for s in panel.rows:
        environment = "forced off" if s.forced_off else "-"
        pending = "-"
        if s.pending:
            target = "on" if s.pending.target_enabled else "off"
            pending = f"{target} at {s.pending.run_at:%Y-%m-%d %H:%M} UTC"
        click.echo(
            f"{s.name:<32} {'on' if s.effective else 'off':<9} "
            f"{'on' if s.db_enabled else 'off':<8} {environment:<11} {pending}"
        )
    click.echo(f"switch version: database {panel.database_version}")


@kill_switch_cli.command("off")
@click.argument("name")
@click.option("--reason", required=True, help="Why (10 to 500 characters).")
@click.option("--until", "until", help="Turn back on at this ISO time (UTC when no offset).")
@in_platform
def turn_off(name, reason, until):
    """Turn NAME off for every tenant."""
    turn_back_on_at = iso_time(until, "--until")
    kill_switches.toggle_switch(
        activity.cli_actor(),
        _known(name),
        False,
        reason,
        source="cli",
        turn_back_on_at=turn_back_on_at,
    )
    suffix = f"; turns back on at {turn_back_on_at:%Y-%m-%d %H:%M} UTC" if turn_back_on_at else ""
    click.echo(f"{name} is OFF{suffix}")


@kill_switch_cli.command("on")
@click.argument("name")
@click.option("--reason", required=True, help="Why (10 to 500 characters).")
@in_platform
def turn_on(name, reason):
    """Turn NAME back on (the environment may still force it off)."""
    kill_switches.toggle_switch(activity.cli_actor(), _known(name), True, reason, source="cli")
    forced = switch_queries.switch_view(name).forced_off
    click.echo(
        f"{name} is ON" + (f" in the database; {switch_queries.ENVIRONMENT_NOTE}" if forced else "")
    )
