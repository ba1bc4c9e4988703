"""The `flask --app wsgi commerce` commands (spec 30 §11)."""

from flask.cli import AppGroup

commerce_cli = AppGroup("commerce", help="Commerce commands.")
