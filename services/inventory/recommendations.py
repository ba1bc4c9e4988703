"""The recommendation set of a reader (spec 70 §3.5): items near what they bought, or for guests
and readers without history the featured and most read items, at most 48."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, func, select

from app.extensions import db
from app.models.catalog import Publication, PublicationContributor, PublicationTerm
from app.models.storefront import CatalogEntry, PublicationStat
from services.catalog import access
from services.catalog.scope import catalog_reads, visible_publications

MAX_RECOMMENDED = 48


def _live(tenant_id: int, now: datetime):
    """The tenant's live catalogue with this tenant's stats row (reads_30d) joined."""
    return (
        visible_publications(tenant_id)
        .with_only_columns(Publication.id)
        .outerjoin(
            PublicationStat,
            and_(
                PublicationStat.tenant_id == tenant_id,
                PublicationStat.publication_id == Publication.id,
            ),
        )
        .where(Publication.published_at <= now)
    )


def _recency():
    return (Publication.published_at.desc(), Publication.id.desc())


def _popular(tenant_id: int, now: datetime, limit: int) -> list[int]:
    query = _live(tenant_id, now).order_by(
        CatalogEntry.is_featured.desc(),
        func.coalesce(PublicationStat.reads_30d, 0).desc(),
        *_recency(),
    )
    return list(db.session.scalars(query.limit(limit)))


def _near_history(tenant_id: int, history: set[int], now: datetime, limit: int) -> list[int]:
    """Items sharing this tenant's terms or contributors with the history, by shared count."""
    history_ids = sorted(history)
    history_terms = select(PublicationTerm.term_id).where(
        PublicationTerm.tenant_id == tenant_id, PublicationTerm.publication_id.in_(history_ids)
    )
    history_contributors = select(PublicationContributor.contributor_id).where(
        PublicationContributor.publication_id.in_(history_ids)
    )
    shared_terms = (
        select(func.count())
        .where(
            PublicationTerm.tenant_id == tenant_id,
            PublicationTerm.publication_id == Publication.id,
            PublicationTerm.term_id.in_(history_terms.scalar_subquery()),
        )
        .correlate(Publication)
        .scalar_subquery()
    )
    shared_contributors = (
        select(func.count())
        .where(
            PublicationContributor.publication_id == Publication.id,
            PublicationContributor.contributor_id.in_(history_contributors.scalar_subquery()),
        )
        .correlate(Publication)
        .scalar_subquery()
    )
    shared = shared_terms + shared_contributors
    query = (
        _live(tenant_id, now)
        .where(Publication.id.not_in(history_ids), shared > 0)
        .order_by(shared.desc(), func.coalesce(PublicationStat.reads_30d, 0).desc(), *_recency())
    )
    return list(db.session.scalars(query.limit(limit)))


def recommended_ids(
    tenant_id: int,
    user_id: int | None,
    limit: int = MAX_RECOMMENDED,
    *,
    now: datetime | None = None,
) -> list[int]:
    """Publication ids to recommend, best first.

    History is what access.owned_ids grants (purchases, assignments, plans): empty until
    commerce registers its provider, and reading history waits for reading_sessions (spec 60),
    so today every reader gets the guest branch. The 180-day window applies once purchases
    carry dates through that provider."""
    limit = max(0, min(int(limit), MAX_RECOMMENDED))
    if limit == 0:
        return []
    now = now or datetime.now(UTC)
    history = access.owned_ids(tenant_id, user_id) if user_id is not None else set()
    with catalog_reads("inventory: recommendations from a tenant's catalogue"):
        if history:
            return _near_history(tenant_id, set(history), now, limit)
        return _popular(tenant_id, now, limit)
