"""Shipping carriers and their prices per shipment (spec 30 §9.1): create, edit, archive or
delete, the province scopes and the carriers checkout may offer."""

from __future__ import annotations

import uuid as uuid_lib
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import ShippingCarrier, ShippingCarrierPrice, ShippingNote
from app.models.commerce_enums import CarrierType
from app.models.gateways import Currency
from services import activity, currencies, money
from services.errors import NotFound, ValidationError
from services.features import checks
from services.shipping import FEATURE, PROVINCE_FEATURE
from services.shipping_snapshot import STATE_CODE

TITLE_MAX = 120
ADDRESS_MAX = 2000
POSITION_MAX = 32767


@dataclass(frozen=True)
class CarrierInput:
    """What a person typed: prices are major-unit text by currency ("" = no price there)."""

    type: str
    title: str
    state_code: str | None = None
    address: str | None = None
    active: bool = True
    position: int = 0
    prices: Mapping[str, str] | None = None


def _base(tenant_id: int, include_archived: bool = False):
    query = (
        select(ShippingCarrier)
        .where(ShippingCarrier.tenant_id == tenant_id)
        .options(selectinload(ShippingCarrier.prices))
        .order_by(ShippingCarrier.position, ShippingCarrier.title, ShippingCarrier.id)
    )
    return query if include_archived else query.where(ShippingCarrier.archived_at.is_(None))


def list_carriers(tenant_id: int, include_archived: bool = False) -> list[ShippingCarrier]:
    return list(db.session.scalars(_base(tenant_id, include_archived)))


def get_carrier(tenant_id: int, carrier_uuid) -> ShippingCarrier:
    try:
        key = uuid_lib.UUID(str(carrier_uuid))
    except ValueError:
        raise NotFound("No such carrier.") from None
    carrier = db.session.scalar(
        _base(tenant_id, include_archived=True).where(ShippingCarrier.uuid == key)
    )
    if carrier is None:
        raise NotFound("No such carrier.")
    return carrier


def province_rates(tenant_id: int) -> list[ShippingCarrier]:
    """Delivery carriers bound to one province."""
    return _scoped(tenant_id, CarrierType.DELIVERY)


def pickup_points(tenant_id: int) -> list[ShippingCarrier]:
    """Warehouse pickup points bound to one province."""
    return _scoped(tenant_id, CarrierType.WAREHOUSE)


def _scoped(tenant_id: int, kind: str) -> list[ShippingCarrier]:
    query = _base(tenant_id).where(
        ShippingCarrier.active.is_(True),
        ShippingCarrier.type == kind,
        ShippingCarrier.state_code.is_not(None),
    )
    return list(db.session.scalars(query))


def offered_carriers(tenant_id: int, currency: str) -> list[ShippingCarrier]:
    """Active carriers priced in `currency`; province carriers only with shipping_by_province,
    and none at all without physicals_goods."""
    if not checks.enabled(tenant_id, FEATURE):
        return []
    query = (
        _base(tenant_id)
        .join(ShippingCarrierPrice, ShippingCarrierPrice.carrier_id == ShippingCarrier.id)
        .where(ShippingCarrier.active.is_(True), ShippingCarrierPrice.currency == currency)
    )
    if not checks.enabled(tenant_id, PROVINCE_FEATURE):
        query = query.where(ShippingCarrier.state_code.is_(None))
    return list(db.session.scalars(query))


def price_in(carrier: ShippingCarrier, currency: str) -> int | None:
    return next((p.amount_minor for p in carrier.prices if p.currency == currency), None)


def _clean(tenant_id: int, data: CarrierInput) -> dict:
    if data.type not in {c.value for c in CarrierType}:
        raise ValidationError("Choose delivery or pickup point.", field="type")
    title = (data.title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise ValidationError(f"Enter a title of 1 to {TITLE_MAX} characters.", field="title")
    state = (data.state_code or "").strip().upper() or None
    if state is not None and not STATE_CODE.match(state):
        raise ValidationError("Use an ISO 3166-2 code such as AR-B or US-CA.", field="state_code")
    address = (data.address or "").strip() or None
    if data.type == CarrierType.WAREHOUSE and address is None:
        raise ValidationError("A pickup point needs its address and hours.", field="address")
    if address is not None and len(address) > ADDRESS_MAX:
        raise ValidationError(f"Keep the address under {ADDRESS_MAX} characters.", field="address")
    if not 0 <= int(data.position) <= POSITION_MAX:
        raise ValidationError("Enter a position from 0.", field="position")
    return {
        "type": data.type,
        "title": title,
        "state_code": state,
        "address": address,
        "active": bool(data.active),
        "position": int(data.position),
        "prices": _prices(tenant_id, data.prices or {}),
    }


def currency_exponents() -> dict[str, int]:
    """Decimals of every registry currency, for parsing and showing amounts."""
    return dict(db.session.execute(select(Currency.code, Currency.exponent)).all())


def _prices(tenant_id: int, typed: Mapping[str, str]) -> dict[str, int]:
    """Minor units by currency; only the tenant's currencies, at most their decimals."""
    allowed = set(currencies.tenant_currencies(tenant_id))
    exponents = currency_exponents()
    amounts: dict[str, int] = {}
    for code, value in typed.items():
        code = code.upper()
        if value is None or not str(value).strip():
            continue
        if code not in allowed or code not in exponents:
            raise ValidationError(f"{code} is not one of your currencies.", field=f"price_{code}")
        amounts[code] = money.to_minor(
            value, exponents[code], field=f"price_{code}", allow_zero=True
        )
    if not amounts:
        raise ValidationError("Enter a price in at least one currency.", field="prices")
    return amounts


def snapshot(carrier: ShippingCarrier) -> dict:
    return {
        "type": carrier.type,
        "title": carrier.title,
        "state_code": carrier.state_code,
        "address": carrier.address,
        "active": carrier.active,
        "position": carrier.position,
        "prices": {p.currency: p.amount_minor for p in carrier.prices},
    }


def _apply(carrier: ShippingCarrier, values: dict) -> None:
    prices = values.pop("prices")
    for key, value in values.items():
        setattr(carrier, key, value)
    current = {p.currency: p for p in carrier.prices}
    for code, row in current.items():
        if code not in prices:
            carrier.prices.remove(row)
    for code, amount in prices.items():
        if code in current:
            current[code].amount_minor = amount
        else:
            carrier.prices.append(
                ShippingCarrierPrice(
                    tenant_id=carrier.tenant_id, currency=code, amount_minor=amount
                )
            )


def create_carrier(actor: activity.Actor, tenant_id: int, data: CarrierInput) -> ShippingCarrier:
    values = _clean(tenant_id, data)
    carrier = ShippingCarrier(tenant_id=tenant_id)
    _apply(carrier, values)
    db.session.add(carrier)
    db.session.flush()
    activity.record(
        actor,
        "shipping_carrier.created",
        "shipping_carrier",
        carrier.uuid,
        tenant_id=tenant_id,
        after=snapshot(carrier),
    )
    return carrier


def update_carrier(
    actor: activity.Actor, carrier: ShippingCarrier, data: CarrierInput
) -> ShippingCarrier:
    values = _clean(carrier.tenant_id, data)
    before = snapshot(carrier)
    _apply(carrier, values)
    db.session.flush()
    old, new = activity.diff(before, snapshot(carrier))
    if new:
        activity.record(
            actor,
            "shipping_carrier.updated",
            "shipping_carrier",
            carrier.uuid,
            tenant_id=carrier.tenant_id,
            before=old,
            after=new,
        )
    return carrier


def has_notes(carrier: ShippingCarrier) -> bool:
    found = db.session.scalar(
        select(ShippingNote.id).where(ShippingNote.carrier_id == carrier.id).limit(1)
    )
    return found is not None


def remove_carrier(actor: activity.Actor, carrier: ShippingCarrier) -> str:
    """Archive a carrier that has notes (they keep pointing at it), delete one that has none;
    returns "archived" or "deleted"."""
    subject = ("shipping_carrier", carrier.uuid)
    if has_notes(carrier):
        carrier.archived_at = carrier.archived_at or utcnow()
        carrier.active = False
        activity.record(actor, "shipping_carrier.archived", *subject, tenant_id=carrier.tenant_id)
        db.session.flush()
        return "archived"
    before = snapshot(carrier)
    db.session.delete(carrier)
    db.session.flush()
    activity.record(
        actor, "shipping_carrier.deleted", *subject, tenant_id=carrier.tenant_id, before=before
    )
    return "deleted"
