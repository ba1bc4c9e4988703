"""`flask --app wsgi kill-switch …`: toggles for when the web UI is unavailable (spec 20 §12)."""

from flask.cli import AppGroup

kill_switch_cli = AppGroup("kill-switch", help="List and toggle platform kill switches.")
