"""The `flask --app wsgi shipping` commands (spec 30 §11)."""

from flask.cli import AppGroup

shipping_cli = AppGroup("shipping", help="Shipping commands.")
