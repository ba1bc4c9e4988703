"""Look-ups the platform-wide commands need before they enter a tenant: an order or a payment
by uuid, across tenants, through the named escape hatch."""

from __future__ import annotations

import uuid as uuid_lib

from sqlalchemy import select

from app.extensions import db
from app.models.commerce import Order, Payment
from services.errors import NotFound
from services.tenancy.context import platform_scope


def _uuid(value: str) -> uuid_lib.UUID:
    try:
        return uuid_lib.UUID(str(value))
    except ValueError:
        raise NotFound(f"{value!r} is not a uuid.") from None


def order_by_uuid(value: str) -> Order:
    with platform_scope("commerce cli: an order by uuid, whatever its tenant"):
        order = db.session.scalars(select(Order).where(Order.uuid == _uuid(value))).first()
    if order is None:
        raise NotFound("No such order.")
    return order


def payment_tenant(value: str) -> int:
    with platform_scope("commerce cli: the tenant of a payment row"):
        tenant_id = db.session.scalar(select(Payment.tenant_id).where(Payment.uuid == _uuid(value)))
    if tenant_id is None:
        raise NotFound("No such payment.")
    return tenant_id
