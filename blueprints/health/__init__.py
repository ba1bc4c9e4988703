"""Liveness and readiness probes, answered on any host."""

from flask import Blueprint

bp = Blueprint("health", __name__)

from blueprints.health import routes  # noqa: E402,F401
