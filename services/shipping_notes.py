"""Working with shipping notes (spec 30 §9.4, §9.6): the filtered keyset list and its CSV,
status changes (free, audited), tracking and snapshot edits, soft delete and restore."""

from __future__ import annotations

import base64
import binascii
import uuid as uuid_lib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.models.activity import Activity
from app.models.base import utcnow
from app.models.commerce import Order, ShippingCarrier, ShippingNote
from app.models.commerce_enums import NoteStatus
from app.models.tenancy import User
from services import activity, csv_export
from services.errors import InvalidState, NotFound, ValidationError
from services.rows import LIKE_ESCAPE, escape_like
from services.shipping_snapshot import destination
from services.shipping_snapshot import validate as validate_snapshot
from services.tenancy.context import tenant_scope

PAGE_SIZE = 25
EXPORT_CHUNK = 1000
STATUSES = tuple(s.value for s in NoteStatus)
SUBJECT = "shipping_note"
TRACKING_CODE_MAX = 120
TRACKING_URL_MAX = 500


@dataclass(frozen=True)
class NoteQuery:
    """The list's filters; `after` is the opaque cursor of the previous page's last row."""

    statuses: tuple[str, ...] = ()
    carrier: uuid_lib.UUID | None = None
    due_from: date | None = None
    due_to: date | None = None
    shipment_number: int | None = None
    q: str = ""
    show_deleted: bool = False
    after: str | None = None


@dataclass(frozen=True)
class NoteRow:
    note: ShippingNote
    order_uuid: uuid_lib.UUID
    email: str
    carrier_title: str

    @property
    def destination(self) -> str:
        return destination(self.note.shipping_information)


@dataclass(frozen=True)
class NotePage:
    rows: list[NoteRow]
    next_cursor: str | None


def encode_cursor(note: ShippingNote) -> str:
    raw = f"{note.due_on.isoformat()}|{note.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        due, _, row_id = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        return date.fromisoformat(due), int(row_id)
    except (binascii.Error, UnicodeError, ValueError):
        raise ValidationError("That page link is not valid.", field="after") from None


def check_query(query: NoteQuery) -> NoteQuery:
    unknown = [s for s in query.statuses if s not in STATUSES]
    if unknown:
        raise ValidationError(f"Unknown status: {', '.join(unknown)}.", field="status")
    if query.after:
        decode_cursor(query.after)
    return query


def _filtered(tenant_id: int, query: NoteQuery):
    check_query(query)
    statement = (
        select(ShippingNote, Order.uuid, User.email, ShippingCarrier.title)
        .join(Order, Order.id == ShippingNote.order_id)
        .join(User, User.id == Order.user_id)
        .join(ShippingCarrier, ShippingCarrier.id == ShippingNote.carrier_id)
        .where(ShippingNote.tenant_id == tenant_id)
    )
    if not query.show_deleted:
        statement = statement.where(ShippingNote.deleted_at.is_(None))
    if query.statuses:
        statement = statement.where(ShippingNote.status.in_(query.statuses))
    if query.carrier is not None:
        statement = statement.where(ShippingCarrier.uuid == query.carrier)
    if query.due_from is not None:
        statement = statement.where(ShippingNote.due_on >= query.due_from)
    if query.due_to is not None:
        statement = statement.where(ShippingNote.due_on <= query.due_to)
    if query.shipment_number is not None:
        statement = statement.where(ShippingNote.shipment_number == query.shipment_number)
    return _search(statement, query.q.strip())


def _search(statement, q: str):
    if not q:
        return statement
    try:
        key = uuid_lib.UUID(q)
        return statement.where(or_(Order.uuid == key, ShippingNote.uuid == key))
    except ValueError:
        pass
    email = func.lower(User.email).like(escape_like(q.lower()) + "%", escape=LIKE_ESCAPE)
    if "@" in q:
        return statement.where(email)
    return statement.where(or_(ShippingNote.tracking_code == q, email))


def _ordered(statement):
    return statement.order_by(ShippingNote.due_on.desc(), ShippingNote.id.desc())


def list_notes(tenant_id: int, query: NoteQuery) -> NotePage:
    """One page of 25, latest due date first; `next_cursor` is None on the last page."""
    statement = _filtered(tenant_id, query)
    if query.after:
        due, row_id = decode_cursor(query.after)
        statement = statement.where(
            or_(
                ShippingNote.due_on < due,
                and_(ShippingNote.due_on == due, ShippingNote.id < row_id),
            )
        )
    found = db.session.execute(_ordered(statement).limit(PAGE_SIZE + 1)).all()
    rows = [NoteRow(*row) for row in found[:PAGE_SIZE]]
    more = len(found) > PAGE_SIZE
    return NotePage(rows, encode_cursor(rows[-1].note) if more else None)


EXPORT_HEADER = (
    "note", "shipment", "period_length", "due_on", "status", "order", "email", "carrier",
    "destination", "recipient", "tracking_code", "tracking_url", "amount_minor", "currency",
    "deleted_at",
)  # fmt: skip


def export_csv(tenant_id: int, query: NoteQuery) -> Iterator[str]:
    """The filtered list (every page) as CSV text, fetched 1,000 rows at a time. It enters the
    tenant's scope itself, since a streamed response outlives the request's scope."""
    check_query(query)

    def rows():
        with tenant_scope(tenant_id):
            statement = _ordered(_filtered(tenant_id, replace(query, after=None)))
            result = db.session.execute(statement.execution_options(yield_per=EXPORT_CHUNK))
            for note, order_uuid, email, carrier_title in result:
                recipient = (note.shipping_information.get("recipient") or {}).get("name")
                yield (
                    note.uuid, note.shipment_number, note.period_length, note.due_on.isoformat(),
                    note.status, order_uuid, email, carrier_title,
                    destination(note.shipping_information), recipient, note.tracking_code,
                    note.tracking_url, note.amount_minor, note.currency,
                    note.deleted_at.isoformat() if note.deleted_at else "",
                )  # fmt: skip

    return csv_export.rows_to_csv(EXPORT_HEADER, rows())


def get_note(tenant_id: int, note_uuid) -> ShippingNote:
    try:
        key = uuid_lib.UUID(str(note_uuid))
    except ValueError:
        raise NotFound("No such shipping note.") from None
    note = db.session.scalar(
        select(ShippingNote).where(ShippingNote.tenant_id == tenant_id, ShippingNote.uuid == key)
    )
    if note is None:
        raise NotFound("No such shipping note.")
    return note


def row_for(note: ShippingNote) -> NoteRow:
    """The list row of one note, for re-rendering it after a change."""
    order = note.order
    return NoteRow(note, order.uuid, order.user.email, note.carrier.title)


def _check_status(status: str) -> str:
    if status not in STATUSES:
        raise ValidationError("Choose one of the listed statuses.", field="status")
    return status


def _record(actor, action: str, note: ShippingNote, before=None, after=None) -> None:
    activity.record(
        actor, action, SUBJECT, note.uuid, tenant_id=note.tenant_id, before=before, after=after
    )


def change_status(actor: activity.Actor, note: ShippingNote, status: str) -> bool:
    """Any valid status to any other (no state machine, spec 30 §9.4); False when unchanged."""
    _check_status(status)
    if note.deleted_at is not None:
        raise InvalidState("Restore the note before changing it.")
    if note.status == status:
        return False
    before, note.status = note.status, status
    _record(actor, "shipping_note.status_changed", note, {"status": before}, {"status": status})
    db.session.flush()
    return True


def bulk_change_status(actor: activity.Actor, tenant_id: int, note_uuids, status: str) -> int:
    """Set `status` on every listed note (each change audited); returns how many changed. An
    unknown status or a uuid that is not one of this tenant's live notes changes nothing."""
    _check_status(status)
    try:
        keys = {uuid_lib.UUID(str(u)) for u in note_uuids}
    except ValueError:
        raise NotFound("No such shipping note.") from None
    if not keys:
        raise ValidationError("Select at least one note.", field="notes")
    notes = db.session.scalars(
        select(ShippingNote).where(
            ShippingNote.tenant_id == tenant_id,
            ShippingNote.uuid.in_(keys),
            ShippingNote.deleted_at.is_(None),
        )
    ).all()
    if len(notes) != len(keys):
        raise NotFound("No such shipping note.")
    return sum(change_status(actor, note, status) for note in notes)


def update_tracking(
    actor: activity.Actor, note: ShippingNote, code: str | None, url: str | None
) -> None:
    code, url = (code or "").strip() or None, (url or "").strip() or None
    if code is not None and len(code) > TRACKING_CODE_MAX:
        raise ValidationError(
            f"Keep the code under {TRACKING_CODE_MAX} characters.", field="tracking_code"
        )
    if url is not None and (
        len(url) > TRACKING_URL_MAX or not url.startswith(("https://", "http://"))
    ):
        raise ValidationError("Enter a web address starting with https://.", field="tracking_url")
    before = {"tracking_code": note.tracking_code, "tracking_url": note.tracking_url}
    old, new = activity.diff(before, {"tracking_code": code, "tracking_url": url})
    if new:
        note.tracking_code, note.tracking_url = code, url
        _record(actor, "shipping_note.tracking_updated", note, old, new)
        db.session.flush()


def update_snapshot(actor: activity.Actor, note: ShippingNote, snapshot) -> None:
    """Correct this note's own copy of the shipping details; the order's stays as sold."""
    cleaned = validate_snapshot(snapshot)
    old, new = activity.diff(note.shipping_information, cleaned)
    if new:
        note.shipping_information = cleaned
        _record(actor, "shipping_note.snapshot_updated", note, old, new)
        db.session.flush()


def delete_note(actor: activity.Actor, note: ShippingNote) -> None:
    if note.deleted_at is not None:
        raise InvalidState("The note is already deleted.")
    note.deleted_at = utcnow()
    _record(actor, "shipping_note.deleted", note)
    db.session.flush()


def restore_note(actor: activity.Actor, note: ShippingNote) -> None:
    if note.deleted_at is None:
        raise InvalidState("The note is not deleted.")
    note.deleted_at = None
    _record(actor, "shipping_note.restored", note)
    db.session.flush()


def note_activity(note: ShippingNote, limit: int = 50) -> list[Activity]:
    return list(
        db.session.scalars(
            select(Activity)
            .where(
                Activity.tenant_id == note.tenant_id,
                Activity.subject_type == SUBJECT,
                Activity.subject_id == str(note.uuid),
            )
            .order_by(Activity.created_at.desc(), Activity.id.desc())
            .limit(limit)
        )
    )
