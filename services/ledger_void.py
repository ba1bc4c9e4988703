"""Soft delete of a payment row by platform staff (spec 30 §5.4): a reason, an activity row,
and `restore` to undo. The row keeps its key and its side effects."""

from __future__ import annotations

import uuid as uuid_lib

from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import Payment
from services import activity
from services.errors import InvalidState, NotFound, ValidationError


def void_payment(actor: activity.Actor, payment_uuid: str, reason: str, restore: bool = False):
    """Soft-delete (or restore) one payment row in the current tenant scope."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationError("Give a reason of up to 500 characters.", field="reason")
    try:
        key = uuid_lib.UUID(str(payment_uuid))
    except ValueError:
        raise NotFound("No such payment.") from None
    row = db.session.scalars(select(Payment).where(Payment.uuid == key)).first()
    if row is None:
        raise NotFound("No such payment.")
    if restore == (row.deleted_at is None):
        raise InvalidState("That payment is already " + ("live." if restore else "voided."))
    before = {"deleted_at": row.deleted_at}
    row.deleted_at = None if restore else utcnow()
    activity.record(
        actor,
        "payment.restored" if restore else "payment.voided",
        "payment",
        row.uuid,
        tenant_id=row.tenant_id,
        before=before,
        after={"deleted_at": row.deleted_at, "reason": reason},
    )
    return row
