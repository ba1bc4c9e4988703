"""Bulk assignment files (spec 30 §8.2): the checks made before an upload is queued, the data
rows read back as the uploaded columns, and each row checked into what it asks for."""

from __future__ import annotations

import csv
import io
import re
import uuid as uuid_lib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import BulkImportRow, Plan
from app.models.commerce_enums import BulkRowOutcome
from services.assignments import check_end, find_plan
from services.catalog.scope import visible_publication
from services.errors import ValidationError
from services.users import normalise_email

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
EMAIL, PLAN, PUBLICATION, EXPIRES_AT = "email", "plan", "publication", "expires_at"
COLUMNS = (EMAIL, PLAN, PUBLICATION, EXPIRES_AT)
HEADER_HINT = "The first row must name the columns: email, and plan or publication."
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class CsvFile:
    """A checked upload: its text, separator, header as written and number of data rows."""

    text: str
    delimiter: str
    header: tuple[str, ...]
    rows: int


def decode(data: bytes) -> str:
    """UTF-8 text, with or without a byte-order mark."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            "The file is not UTF-8 text; save it as “CSV UTF-8” and upload it again.",
            field="file",
        ) from None


def sniff_delimiter(text: str) -> str:
    """A semicolon when the header line has more of them than commas (spreadsheets in
    comma-decimal locales write those), else a comma."""
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _reader(text: str, delimiter: str):
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def _blank(record: list[str]) -> bool:
    return not any(cell.strip() for cell in record)


def _check_header(header: list[str] | None) -> tuple[str, ...]:
    if not header or _blank(header):
        raise ValidationError(HEADER_HINT, field="file")
    names = [name.strip().lower() for name in header]
    if EMAIL not in names or not (PLAN in names or PUBLICATION in names):
        raise ValidationError(HEADER_HINT, field="file")
    named = [name for name in names if name]  # a trailing separator makes a nameless column
    if len(set(named)) != len(named):
        raise ValidationError("Each column name may appear only once.", field="file")
    return tuple(cell.strip() for cell in header)


def read(data: bytes) -> CsvFile:
    """The whole file checked: size, encoding, header, readable rows and their number. Any
    problem is one ValidationError on `file`, so nothing of a bad file is ever queued."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.", field="file"
        )
    text = decode(data)
    if "\x00" in text:
        raise ValidationError("The file is not a readable CSV file (it holds NUL bytes).", "file")
    delimiter = sniff_delimiter(text)
    rows = 0
    try:
        reader = _reader(text, delimiter)
        header = _check_header(next(reader, None))
        for record in reader:
            if _blank(record):
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise ValidationError(
                    f"The file has more than {MAX_ROWS:,} rows; split it and upload each part.",
                    field="file",
                )
    except csv.Error as exc:
        raise ValidationError(
            f"The file is not a readable CSV file ({exc}).", field="file"
        ) from None
    if rows == 0:
        raise ValidationError("The file has a header but no rows.", field="file")
    return CsvFile(text=text, delimiter=delimiter, header=header, rows=rows)


def rows_of(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, {column as written: value}) for each data row; blank lines are not rows,
    so row 1 is the first data row. Missing cells are empty, cells past the header dropped."""
    reader = _reader(text, sniff_delimiter(text))
    header = _check_header(next(reader, None))
    number = 0
    for record in reader:
        if _blank(record):
            continue
        number += 1
        cells = [*record, *([""] * (len(header) - len(record)))]
        yield number, {name: cell for name, cell in zip(header, cells, strict=False) if name}


def values(raw: dict[str, str]) -> dict[str, str]:
    """The known columns of a row by their lower-case names, stripped ("" when absent)."""
    found = {name.strip().lower(): (value or "").strip() for name, value in raw.items()}
    return {column: found.get(column, "") for column in COLUMNS}


def end_of_day(day: date, tzinfo: ZoneInfo) -> datetime:
    """The last second of `day` in the tenant's time zone, as aware UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo).astimezone(UTC)


def parse_day(value: str) -> date:
    """A YYYY-MM-DD date; ValueError otherwise (no other spelling is accepted)."""
    if not _DAY.fullmatch(value):
        raise ValueError(value)
    return date.fromisoformat(value)


@dataclass(frozen=True)
class RowPlan:
    """What a row asks for once checked; `outcome` None means it may be applied."""

    email: str | None
    target_uuid: str | None
    plan_id: int | None = None
    publication_id: int | None = None
    expires_at: datetime | None = None
    outcome: str | None = None
    reason: str | None = None

    @property
    def key(self) -> tuple[str | None, str | None]:
        return (self.email, self.target_uuid)

    def skip(self, reason: str) -> RowPlan:
        return replace(self, outcome=BulkRowOutcome.SKIPPED, reason=reason)

    def invalid(self, reason: str) -> RowPlan:
        return replace(self, outcome=BulkRowOutcome.INVALID, reason=reason)


class Targets:
    """Plans and publications of one tenant looked up once per run, by the uuid in the file."""

    def __init__(self, tenant_id: int, tzinfo: ZoneInfo):
        self.tenant_id, self.tzinfo = tenant_id, tzinfo
        self.plans: dict[str, Plan | None] = {}
        self.publications: dict[str, int | None] = {}

    def plan(self, key: str):
        if key not in self.plans:
            self.plans[key] = find_plan(self.tenant_id, key)
        return self.plans[key]

    def publication(self, key: str) -> int | None:
        if key not in self.publications:
            found = visible_publication(self.tenant_id, key, live_only=False)
            self.publications[key] = found[0].id if found else None
        return self.publications[key]


def _uuid_text(value: str) -> str:
    try:
        return str(uuid_lib.UUID(value))
    except ValueError:
        return value[:64]


def plan_row(targets: Targets, raw: dict[str, str]) -> RowPlan:
    """The checks of spec 30 §8.2 that need no user: email, one target, its state, the end."""
    found = values(raw)
    target = found[PLAN] or found[PUBLICATION]
    planned = RowPlan(email=found[EMAIL][:320] or None, target_uuid=_uuid_text(target) or None)
    try:
        planned = replace(planned, email=normalise_email(found[EMAIL]))
    except ValidationError:
        return planned.invalid("invalid_email")
    if found[PLAN] and found[PUBLICATION]:
        return planned.invalid("both_targets")
    if not target:
        return planned.invalid("no_target")
    if found[PLAN]:
        plan = targets.plan(found[PLAN])
        if plan is None:
            return planned.invalid("unknown_plan")
        if plan.archived_at is not None:
            return planned.invalid("archived_plan")
        if plan.is_external:
            return planned.invalid("external_not_allowed")
        planned = replace(planned, plan_id=plan.id)
    else:
        publication_id = targets.publication(found[PUBLICATION])
        if publication_id is None:
            return planned.invalid("unknown_publication")
        planned = replace(planned, publication_id=publication_id)
    if not found[EXPIRES_AT]:
        return planned
    try:
        expires_at = end_of_day(parse_day(found[EXPIRES_AT]), targets.tzinfo)
    except ValueError:
        return planned.invalid("invalid_expiry")
    now = utcnow()
    if expires_at <= now:
        return planned.invalid("expiry_in_past")
    try:
        check_end(expires_at, now)
    except ValidationError:
        return planned.invalid("invalid_expiry")
    return replace(planned, expires_at=expires_at)


def report_rows(row) -> tuple[list[str], Iterator[list]]:
    """report.csv of an import: every row not created, with its uploaded columns, then its
    number, outcome and reason, in file order (cells are made safe by csv_export)."""
    rows = db.session.scalars(
        select(BulkImportRow)
        .where(BulkImportRow.import_id == row.id, BulkImportRow.outcome != BulkRowOutcome.CREATED)
        .order_by(BulkImportRow.row_number)
    ).all()
    columns: list[str] = []
    for item in rows:
        columns += [name for name in item.raw if name not in columns]
    body = (
        [*(item.raw.get(name, "") for name in columns), item.row_number, item.outcome, item.reason]
        for item in rows
    )
    return [*columns, "row", "outcome", "reason"], body
