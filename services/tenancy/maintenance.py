"""Housekeeping of tenancy tables."""

from datetime import timedelta

from sqlalchemy import delete

from app.extensions import db
from app.models.base import utcnow
from app.models.tenancy import CacheInvalidation


def prune_invalidations(older_than: timedelta) -> int:
    result = db.session.execute(
        delete(CacheInvalidation).where(CacheInvalidation.created_at < utcnow() - older_than)
    )
    return result.rowcount or 0
