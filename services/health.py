"""Readiness checks: the database answers and the broker accepts a connection."""

import logging

from sqlalchemy import text

from app.extensions import db

log = logging.getLogger("health")


def readiness(celery) -> dict:
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        log.warning("readyz.database %s", exc)
        checks["database"] = "unreachable"
    finally:
        db.session.rollback()
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        log.warning("readyz.broker %s", exc)
        checks["broker"] = "unreachable"
    return checks
