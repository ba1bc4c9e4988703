"""Scheduled releases (spec 70 §1.1, §9): a publication whose `published_at` has just passed
appears once its holders' catalogue versions change; the minute job finds them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow
from app.models.catalog import Publication
from app.models.jobs import JobRun
from app.models.storefront import CatalogEntry
from services.catalog import versions
from services.tenancy.scoping import SKIP_OPTION

JOB_NAME = "catalog.release_scheduled"
FIRST_LOOKBACK = timedelta(days=1)  # with no earlier run, releases of the last day count


def last_run_started(job_name: str = JOB_NAME) -> datetime | None:
    """When the last finished run started: everything released since then is new. The
    window overlaps the previous run slightly, which at worst bumps a version twice."""
    return db.session.scalar(
        select(JobRun.started_at)
        .where(JobRun.job_name == job_name, JobRun.status == "succeeded")
        .order_by(JobRun.started_at.desc())
        .limit(1)
    )


def tenants_with_releases(since: datetime, now: datetime) -> list[int]:
    """Tenants holding a ready, not deleted publication whose published_at is in (since, now]."""
    query = (
        select(CatalogEntry.tenant_id)
        .join(Publication, Publication.id == CatalogEntry.publication_id)
        .where(
            Publication.published_at > since,
            Publication.published_at <= now,
            Publication.deleted_at.is_(None),
            Publication.status == "ready",
        )
        .distinct()
        # Every tenant on purpose. Skipping the scope (rather than a platform_scope) keeps
        # the session's objects attached: the job-run record of the caller is one of them.
        .execution_options(**{SKIP_OPTION: True})
    )
    return sorted(db.session.scalars(query))


def release_scheduled(now: datetime | None = None, since: datetime | None = None) -> dict:
    """Bump the catalogue version of every tenant with a release since the last run."""
    now = now or utcnow()
    since = since or last_run_started() or now - FIRST_LOOKBACK
    tenant_ids = tenants_with_releases(since, now)
    for tenant_id in tenant_ids:
        versions.bump_catalog_now(tenant_id)
    return {"examined": len(tenant_ids), "updated": len(tenant_ids)}
