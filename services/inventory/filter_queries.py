"""One query builder per inventory filter (spec 70 §3.2): values in, one SQL condition out.
Repeated values OR for single-valued attributes and AND for terms, contributors and BISAC."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, false, or_

from app.models.catalog import (
    Publication,
    PublicationBisac,
    PublicationContributor,
    PublicationTerm,
)
from services.inventory.filters import LATEST_WINDOW_DAYS, AcceptedFilter, InventoryFilter

F = InventoryFilter


@dataclass
class QueryContext:
    """What builders need besides their values; id sets come from other services, computed
    once and only when a filter asks."""

    tenant_id: int
    now: datetime
    tzinfo: ZoneInfo
    owned_ids: Callable[[], set[int]] = field(default=lambda: set())
    recommended_ids: Callable[[], list[int]] = field(default=lambda: [])


def _local_range(start: datetime, end: datetime) -> ColumnElement:
    return and_(
        Publication.published_at >= start.astimezone(UTC),
        Publication.published_at < end.astimezone(UTC),
    )


def _file_type(values, ctx) -> ColumnElement:
    return Publication.file_type.in_(values)


def _taxonomy(values, ctx) -> ColumnElement:
    return and_(
        *(
            exists().where(
                PublicationTerm.tenant_id == ctx.tenant_id,
                PublicationTerm.publication_id == Publication.id,
                PublicationTerm.term_id == term.term_id,
            )
            for term in values
        )
    )


def _contributor(values, ctx) -> ColumnElement:
    return and_(
        *(
            exists().where(
                PublicationContributor.publication_id == Publication.id,
                PublicationContributor.contributor_id == contributor.id,
            )
            for contributor in values
        )
    )


def _bisac(values, ctx) -> ColumnElement:
    return and_(
        *(
            exists().where(
                PublicationBisac.publication_id == Publication.id, PublicationBisac.code == code
            )
            for code in values
        )
    )


def _year(values, ctx) -> ColumnElement:
    tz = ctx.tzinfo
    return or_(
        *(
            _local_range(datetime(y, 1, 1, tzinfo=tz), datetime(y + 1, 1, 1, tzinfo=tz))
            for y in values
        )
    )


def _month(values, ctx) -> ColumnElement:
    tz = ctx.tzinfo
    ranges = []
    for year, month in values:
        start = datetime(year, month, 1, tzinfo=tz)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
        ranges.append(_local_range(start, end))
    return or_(*ranges)


def _free(values, ctx) -> ColumnElement:
    return Publication.is_free.is_(True)


def _latest(values, ctx) -> ColumnElement:
    return and_(
        Publication.published_at >= ctx.now - timedelta(days=LATEST_WINDOW_DAYS),
        Publication.published_at <= ctx.now,
    )


def _audience(values, ctx) -> ColumnElement:
    return Publication.audience.in_(values)


def _ids(ids) -> ColumnElement:
    ids = list(ids)
    return Publication.id.in_(ids) if ids else false()


def _recommended(values, ctx) -> ColumnElement:
    return _ids(ctx.recommended_ids())


def _my_issues(values, ctx) -> ColumnElement:
    return _ids(ctx.owned_ids())


def _continue_reading(values, ctx) -> ColumnElement:
    # reading_sessions (spec 60) do not exist yet: a signed-in reader has nothing to continue.
    return false()


BUILDERS: dict[InventoryFilter, Callable[[list, QueryContext], ColumnElement]] = {
    F.FILE_TYPE: _file_type,
    F.TAXONOMY: _taxonomy,
    F.CONTRIBUTOR: _contributor,
    F.BISAC: _bisac,
    F.YEAR: _year,
    F.MONTH: _month,
    F.FREE: _free,
    F.LATEST: _latest,
    F.AUDIENCE: _audience,
    F.RECOMMENDED: _recommended,
    F.MY_ISSUES: _my_issues,
    F.CONTINUE_READING: _continue_reading,
}


def conditions(accepted: list[AcceptedFilter], ctx: QueryContext) -> list[ColumnElement]:
    """One condition per filter present (different filters AND-combine)."""
    grouped: dict[InventoryFilter, list] = {}
    for item in accepted:
        grouped.setdefault(item.member, []).append(item.value)
    return [BUILDERS[member](values, ctx) for member, values in grouped.items()]
