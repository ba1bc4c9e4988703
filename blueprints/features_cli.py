"""`flask --app wsgi features …`: catalogue sync, explain, grants and overrides (spec 20 §12)."""

from flask.cli import AppGroup

features_cli = AppGroup("features", help="Feature catalogue, grants, overrides and explain.")
