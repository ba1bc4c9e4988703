"""/healthz (process alive) and /readyz (database and broker reachable)."""

from flask import current_app, jsonify

from blueprints.health import bp
from services import health


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = health.readiness(current_app.extensions["celery"])
    ok = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503
