"""Keyset paging of the commerce lists with opaque cursors: base64url of (sort value, id)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, literal, tuple_

from app.extensions import db
from services.errors import ValidationError

MAX_CURSOR_LENGTH = 200
PAGE_SIZE = 50
BAD_CURSOR = "That page link is not valid; start again from the first page."


def encode(value, row_id: int) -> str:
    """A cursor for the row with sort value `value` (an aware datetime or an int) and `row_id`."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).isoformat()
    raw = json.dumps([value, int(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(token: str, kind: str) -> tuple[datetime | int, int]:
    """(sort value, id) of a cursor; `kind` is "datetime" or "int" and must match what the
    cursor holds. Anything else (bad base64, JSON, shape or types) is a ValidationError."""
    if not token or len(token) > MAX_CURSOR_LENGTH:
        raise ValidationError(BAD_CURSOR, field="cursor")
    try:
        padded = token + "=" * (-len(token) % 4)
        value, row_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise ValidationError(BAD_CURSOR, field="cursor") from None
    if type(row_id) is not int or row_id < 1:
        raise ValidationError(BAD_CURSOR, field="cursor")
    return _value(value, kind), row_id


def _value(value, kind: str) -> datetime | int:
    if kind == "int":
        if type(value) is not int or value < 0:
            raise ValidationError(BAD_CURSOR, field="cursor")
        return value
    if not isinstance(value, str):
        raise ValidationError(BAD_CURSOR, field="cursor")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(BAD_CURSOR, field="cursor") from None
    if moment.tzinfo is None:
        raise ValidationError(BAD_CURSOR, field="cursor")
    return moment.astimezone(UTC)


@dataclass
class KeysetPage:
    """One page of a keyset list, newest (or largest) first, with the cursors around it."""

    rows: list
    next_cursor: str | None  # `after` of the following page
    prev_cursor: str | None  # `before` of the preceding page


def keyset_page(
    query: Select,
    sort_col,
    id_col,
    *,
    key: Callable,
    kind: str,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> KeysetPage:
    """The page of `query` in (sort_col, id_col) descending order after or before a cursor.
    Rows inserted meanwhile never shift a page: the next one starts strictly after the last
    row shown, so there are no duplicates and no gaps. `key(row)` gives (sort value, id)."""
    if after and before:
        raise ValidationError(BAD_CURSOR, field="cursor")
    position = tuple_(sort_col, id_col)
    if before:
        value, row_id = decode(before, kind)
        bound = tuple_(literal(value, sort_col.type), literal(row_id, id_col.type))
        ordered = query.where(position > bound).order_by(sort_col.asc(), id_col.asc())
        rows = list(db.session.execute(ordered.limit(size + 1)))
        if not rows:  # everything newer is gone (pruned): show the first page instead
            return keyset_page(query, sort_col, id_col, key=key, kind=kind, size=size)
        more, rows = len(rows) > size, rows[:size][::-1]
        return KeysetPage(
            rows,
            encode(*key(rows[-1])) if rows else None,
            encode(*key(rows[0])) if rows and more else None,
        )
    ordered = query.order_by(sort_col.desc(), id_col.desc())
    if after:
        value, row_id = decode(after, kind)
        bound = tuple_(literal(value, sort_col.type), literal(row_id, id_col.type))
        ordered = ordered.where(position < bound)
    rows = list(db.session.execute(ordered.limit(size + 1)))
    more, rows = len(rows) > size, rows[:size]
    return KeysetPage(
        rows,
        encode(*key(rows[-1])) if rows and more else None,
        encode(*key(rows[0])) if rows and after else None,
    )
