"""The shipping snapshot of an order or a note (spec 30 §9.2): one schema, checked strictly."""

from __future__ import annotations

import re
import uuid as uuid_lib
from collections.abc import Mapping

from app.models.commerce_enums import CarrierType, PlanInterval
from services.errors import ValidationError

FIELD = "shipping_information"
PERIOD_LENGTHS = (1, 12)
STATE_CODE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")  # ISO 3166-2 subdivision, ≤ 6 chars
COUNTRY = re.compile(r"^[A-Z]{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")

CARRIER_KEYS = ("uuid", "type", "title", "state_code", "address")
RECIPIENT_KEYS = ("name", "phone", "email")
ADDRESS_KEYS = ("line1", "line2", "city", "state_code", "postal_code", "country")
PRICE_KEYS = ("per_shipment_minor", "shipments", "amount_minor", "currency")
TOP_KEYS = ("carrier", "recipient", "address", "price", "interval", "interval_count")


def _fail(path: str, message: str):
    raise ValidationError(message, field=f"{FIELD}.{path}" if path else FIELD)


def _object(value, path: str, keys: tuple[str, ...]) -> Mapping:
    if not isinstance(value, Mapping):
        _fail(path, "must be an object")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        _fail(path, f"unknown keys: {', '.join(map(str, unknown))}")
    return value


def _text(obj: Mapping, key: str, path: str, max_len: int, required: bool) -> str | None:
    value = obj.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            _fail(f"{path}.{key}", "is required")
        return None
    if not isinstance(value, str):
        _fail(f"{path}.{key}", "must be text")
    value = value.strip()
    if len(value) > max_len:
        _fail(f"{path}.{key}", f"is longer than {max_len} characters")
    return value


def _int(obj: Mapping, key: str, path: str, low: int, high: int | None = None) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(f"{path}.{key}", "must be a whole number")
    if value < low or (high is not None and value > high):
        _fail(f"{path}.{key}", "is out of range")
    return value


def _pattern(value: str | None, pattern: re.Pattern, path: str) -> str | None:
    if value is not None and not pattern.match(value.upper()):
        _fail(path, "has an invalid format")
    return value.upper() if value is not None else None


def _carrier(value) -> dict:
    obj = _object(value, "carrier", CARRIER_KEYS)
    raw_uuid = _text(obj, "uuid", "carrier", 36, True)
    try:
        carrier_uuid = str(uuid_lib.UUID(raw_uuid))
    except ValueError:
        _fail("carrier.uuid", "is not a UUID")
    kind = _text(obj, "type", "carrier", 16, True)
    if kind not in {c.value for c in CarrierType}:
        _fail("carrier.type", "must be delivery or warehouse")
    address = _text(obj, "address", "carrier", 2000, kind == CarrierType.WAREHOUSE)
    state = _text(obj, "state_code", "carrier", 6, False)
    return {
        "uuid": carrier_uuid,
        "type": kind,
        "title": _text(obj, "title", "carrier", 120, True),
        "state_code": _pattern(state, STATE_CODE, "carrier.state_code"),
        "address": address,
    }


def _recipient(value) -> dict:
    obj = _object(value, "recipient", RECIPIENT_KEYS)
    email = _text(obj, "email", "recipient", 320, False)
    if email is not None and "@" not in email:
        _fail("recipient.email", "is not an e-mail address")
    return {
        "name": _text(obj, "name", "recipient", 200, True),
        "phone": _text(obj, "phone", "recipient", 40, False),
        "email": email,
    }


def _address(value, carrier_type: str) -> dict | None:
    if carrier_type == CarrierType.WAREHOUSE:
        if value is not None:
            _fail("address", "must be empty for a pickup point")
        return None
    if value is None:
        _fail("address", "is required for a delivery")
    obj = _object(value, "address", ADDRESS_KEYS)
    state = _text(obj, "state_code", "address", 6, False)
    country = _text(obj, "country", "address", 2, True)
    return {
        "line1": _text(obj, "line1", "address", 200, True),
        "line2": _text(obj, "line2", "address", 200, False),
        "city": _text(obj, "city", "address", 120, True),
        "state_code": _pattern(state, STATE_CODE, "address.state_code"),
        "postal_code": _text(obj, "postal_code", "address", 20, False),
        "country": _pattern(country, COUNTRY, "address.country"),
    }


def _price(value) -> dict:
    obj = _object(value, "price", PRICE_KEYS)
    per_shipment = _int(obj, "per_shipment_minor", "price", 0)
    shipments = _int(obj, "shipments", "price", 1, 12)
    if shipments not in PERIOD_LENGTHS:
        _fail("price.shipments", "must be 1 or 12")
    amount = _int(obj, "amount_minor", "price", 0)
    if amount != per_shipment * shipments:
        _fail("price.amount_minor", "must equal the price per shipment times the shipments")
    currency = _text(obj, "currency", "price", 3, True)
    return {
        "per_shipment_minor": per_shipment,
        "shipments": shipments,
        "amount_minor": amount,
        "currency": _pattern(currency, CURRENCY, "price.currency"),
    }


def validate(value) -> dict:
    """The snapshot, normalised (trimmed text, upper-case codes); ValidationError names the
    first offending key as `shipping_information.<path>`."""
    obj = _object(value, "", TOP_KEYS)
    carrier = _carrier(obj.get("carrier"))
    interval = obj.get("interval")
    if interval is not None and interval not in {i.value for i in PlanInterval}:
        _fail("interval", "must be month or year")
    count = obj.get("interval_count")
    if count is not None:
        count = _int(obj, "interval_count", "", 1, 12)
    return {
        "carrier": carrier,
        "recipient": _recipient(obj.get("recipient")),
        "address": _address(obj.get("address"), carrier["type"]),
        "price": _price(obj.get("price")),
        "interval": interval,
        "interval_count": count,
    }


def period_length(interval: str | None, prepaid_months: int | None = None) -> int:
    """Shipments one charge pays for (spec 30 §9.3): 12 for yearly or 12-month prepaid."""
    return 12 if interval == PlanInterval.YEAR or prepaid_months == 12 else 1


def build(
    carrier,
    per_shipment_minor: int,
    currency: str,
    *,
    recipient: Mapping,
    address: Mapping | None,
    interval: str | None = None,
    interval_count: int | None = None,
    prepaid_months: int | None = None,
) -> dict:
    """A checked snapshot for `carrier` (a ShippingCarrier) at its price in `currency`, for a
    line of `interval` (recurring) or `prepaid_months` (prepaid)."""
    shipments = period_length(interval, prepaid_months)
    return validate(
        {
            "carrier": {
                "uuid": str(carrier.uuid),
                "type": carrier.type,
                "title": carrier.title,
                "state_code": carrier.state_code,
                "address": carrier.address,
            },
            "recipient": dict(recipient),
            "address": dict(address) if address is not None else None,
            "price": {
                "per_shipment_minor": per_shipment_minor,
                "shipments": shipments,
                "amount_minor": per_shipment_minor * shipments,
                "currency": currency,
            },
            "interval": interval,
            "interval_count": interval_count,
        }
    )


def destination(snapshot: dict | None) -> str:
    """The state and city of a delivery, or the pickup point's title."""
    snapshot = snapshot or {}
    address = snapshot.get("address")
    if not address:
        return "Pickup: " + str((snapshot.get("carrier") or {}).get("title") or "—")
    parts = [address.get("state_code"), address.get("city")]
    return " · ".join(str(p) for p in parts if p) or "—"
