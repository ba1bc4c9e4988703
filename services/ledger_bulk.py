"""Synthetic ledger history for load tests and benchmarks: payment rows written in bulk (COPY
on PostgreSQL, multi-row INSERTs elsewhere) with the keys and derived types record_payment would
give them, and no side effects. Never for real money: it refuses outside development and test
databases. Its fast row writer also serves commerce_load for orders and lines."""

from __future__ import annotations

import csv
import io
import json
import uuid as uuid_lib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from sqlalchemy import func, insert, select

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import Payment
from app.models.commerce_enums import LineKind, PaymentStatus
from services.errors import PermissionDenied, ValidationError
from services.ledger_rows import idempotency_key, plan_type, sale_type

ALLOWED_ENVS = ("development", "test")
BATCH_ROWS = 5_000
REQUIRED = (
    "tenant_id",
    "order_id",
    "user_plan_id",
    "gateway_id",
    "gateway_type",
    "status",
    "amount_minor",
    "currency",
    "gateway_transaction_id",
    "gateway_key",
    "occurred_at",
    "sandbox",
    "line_kind",
)
STATUSES = frozenset(status.value for status in PaymentStatus)
TABLE = Payment.__table__


@dataclass(frozen=True)
class _Plan:
    type: str


@dataclass(frozen=True)
class _Line:
    """What ledger_rows reads of a line: its kind and its plan's type."""

    kind: str
    plan: _Plan | None


def check_env(env: str) -> None:
    """Synthetic rows only ever go into a development or test database."""
    if env not in ALLOWED_ENVS:
        raise PermissionDenied(
            "Synthetic ledger history is for development and test databases only."
        )


def _line(row: dict) -> _Line | None:
    kind = row["line_kind"]
    if kind is None:
        return None  # the shipping part
    plan = row.get("plan_type")
    return _Line(LineKind(kind), _Plan(plan) if plan else None)


def _values(row: dict, now) -> dict:
    missing = [name for name in REQUIRED if name not in row]
    if missing:
        raise ValidationError(f"A history row needs {', '.join(missing)}.", field=missing[0])
    if row["status"] not in STATUSES:
        raise ValidationError(f"Unknown payment status {row['status']!r}.", field="status")
    amount = row["amount_minor"]
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValidationError("Amounts are whole minor units, 0 or more.", field="amount_minor")
    if (row["user_plan_id"] is None) != (row["line_kind"] is None):
        raise ValidationError("Only shipping rows have no line.", field="line_kind")
    line = _line(row)
    key = idempotency_key(
        row["gateway_id"],
        row["tenant_id"],
        row["gateway_transaction_id"],
        row["gateway_key"],
        row["status"],
        row["order_id"],
        row["user_plan_id"],
    )
    return {
        "uuid": row.get("uuid") or uuid_lib.uuid4(),
        "tenant_id": row["tenant_id"],
        "order_id": row["order_id"],
        "user_plan_id": row["user_plan_id"],
        "gateway_id": row["gateway_id"],
        "gateway_type": row["gateway_type"],
        "status": row["status"],
        "amount_minor": amount,
        "currency": row["currency"],
        "gateway_transaction_id": row["gateway_transaction_id"],
        "gateway_key": row["gateway_key"],
        "gateway_status": row.get("gateway_status", row["status"]),
        "sale_type": sale_type(line),
        "plan_type": plan_type(line),
        "recurring_cycle": row.get("recurring_cycle") or 1,
        "refers_to_payment_id": row.get("refers_to_payment_id"),
        "occurred_at": row["occurred_at"],
        "sandbox": row["sandbox"],
        "idempotency_key": key,
        "payment_payload": row.get("payment_payload") or {},
        "invoice_number": row.get("invoice_number"),
        "email": row.get("email"),
        "deleted_at": None,
        "created_at": now,
        "updated_at": now,
    }


def reserve_ids(table, count: int) -> list[int]:
    """`count` new primary keys of `table`: from its sequence on PostgreSQL; on SQLite the
    ones after the largest (write them before reserving again)."""
    if count <= 0:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        query = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        return sorted(db.session.scalars(query))
    first = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(first, first + count))


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":")) if value else "{}" if value == {} else "[]"


# COPY's text for the Python values rows hold (str, int and UUID print as themselves).
_COPY_TEXT = {
    type(None): lambda value: "\\N",
    bool: lambda value: "t" if value else "f",
    datetime: datetime.isoformat,
    dict: _json,
    list: _json,
}


def write_rows(table, rows: list[dict]) -> None:
    """Write rows that all have the same keys (ids included): COPY on PostgreSQL, a multi-row
    INSERT elsewhere. Constraints and triggers apply as for any insert."""
    if not rows:
        return
    columns = list(rows[0])
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    convert, pick = _COPY_TEXT.get, itemgetter(*columns)
    for row in rows:
        values = pick(row) if len(columns) > 1 else (row[columns[0]],)
        writer.writerow([(to(v) if (to := convert(type(v))) else v) for v in values])
    buffer.seek(0)
    names = ", ".join(f'"{name}"' for name in columns)  # names come from the table, not input
    cursor = db.session.connection().connection.driver_connection.cursor()
    cursor.copy_expert(
        f"COPY {table.name} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
    )


def _batches(rows: list[dict], size: int) -> Iterable[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _resolve(rows: list[dict], values: list[dict], known: dict[str, int]) -> None:
    """Point reversals at their charge: `refers_to_key` is a key of this call or a stored one."""
    wanted = {row["refers_to_key"] for row in rows if row.get("refers_to_key")} - set(known)
    if wanted:
        tenant_ids = {row["tenant_id"] for row in rows}
        found = db.session.execute(
            select(TABLE.c.idempotency_key, TABLE.c.id).where(
                TABLE.c.tenant_id.in_(tenant_ids), TABLE.c.idempotency_key.in_(wanted)
            )
        )
        known.update(dict(found.all()))
    for row, value in zip(rows, values, strict=True):
        key = row.get("refers_to_key")
        if key:
            if key not in known:
                raise ValidationError("A reversal names a charge that is not stored.", "refers_to")
            value["refers_to_payment_id"] = known[key]


def insert_history(rows: list[dict], *, env: str, batch_rows: int = BATCH_ROWS) -> int:
    """Write `rows` (see REQUIRED; optional: gateway_status, recurring_cycle, plan_type,
    refers_to_key or refers_to_payment_id, email, payment_payload, invoice_number) as payment
    rows in batches (write_rows). Synthetic rows are always new: a key that exists already
    fails the call. Reversals may name their charge by `refers_to_key`. Returns the number
    of rows written; the caller commits."""
    check_env(env)
    now = utcnow()
    values = [_values(row, now) for row in rows]
    for value, row_id in zip(values, reserve_ids(TABLE, len(values)), strict=True):
        value["id"] = row_id
    _resolve(rows, values, {value["idempotency_key"]: value["id"] for value in values})
    # Charges before the reversals that point at them.
    ordered = sorted(values, key=lambda value: value["refers_to_payment_id"] is not None)
    for batch in _batches(ordered, batch_rows):
        write_rows(TABLE, batch)
    return len(values)


def key_of_row(row: dict) -> str:
    """The idempotency key insert_history gives a history row (tests and callers that link)."""
    return idempotency_key(
        row["gateway_id"],
        row["tenant_id"],
        row["gateway_transaction_id"],
        row["gateway_key"],
        row["status"],
        row["order_id"],
        row["user_plan_id"],
    )
