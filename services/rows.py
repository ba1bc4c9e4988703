"""Shared row helpers for services: inserts that turn a unique-index race into a Conflict, and
server-side pagination of list pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from services.errors import Conflict

PAGE_SIZE = 50
LIKE_ESCAPE = "\\"


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (use with escape=LIKE_ESCAPE): a typed % or _
    matches itself, not any run or any character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def insert_or_conflict(*rows, message: str, field: str | None = None) -> None:
    """Add and flush `rows` in a savepoint; a unique violation (also a lost race) is a Conflict
    and leaves the outer transaction usable."""
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
            db.session.flush()
    except IntegrityError:
        raise Conflict(message, field=field) from None


@dataclass
class Page:
    """One page of a list: its rows, the page number, how many pages and rows there are."""

    rows: list
    page: int
    pages: int
    total: int


def paginate(query: Select, order_by, page: int, *, scalars: bool = True) -> Page:
    """The `page`-th slice (1-based, clamped) of `query` in `order_by` order, 50 rows a page."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-(total or 0) // PAGE_SIZE))
    page = min(max(1, page), pages)
    sliced = query.order_by(*order_by).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    result = db.session.scalars(sliced) if scalars else db.session.execute(sliced)
    return Page(list(result.all()), page, pages, total or 0)
