"""The currency registry: seeding and the choices offered in forms (spec 40 §2.3)."""

import time

from babel.numbers import get_currency_name, get_currency_precision
from sqlalchemy import select

from app.extensions import db
from app.models.gateways import Currency, PaymentSettings
from app.models.tenancy import Tenant
from services.tenancy.scoping import SKIP_OPTION

SEED = ("ARS", "USD", "MXN", "COP", "PEN", "CLP", "UYU", "BRL", "EUR", "GBP")
DISABLED = ("BRL",)


def seed() -> int:
    """Insert the registry's starting codes that are missing; returns how many were added."""
    existing = set(db.session.scalars(select(Currency.code)))
    added = 0
    for code in SEED:
        if code in existing:
            continue
        db.session.add(
            Currency(
                code=code,
                exponent=get_currency_precision(code),
                name=get_currency_name(code, locale="en")[:64],
                enabled_for_pricing=code not in DISABLED,
            )
        )
        added += 1
    db.session.flush()
    return added


def pricing_choices() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(Currency).where(Currency.enabled_for_pricing).order_by(Currency.code)
    )
    return [(c.code, f"{c.code} — {c.name}") for c in rows]


def tenant_currencies(tenant_id: int) -> list[str]:
    """The currencies the tenant prices in: its payment settings' list, else its default
    currency (spec 40 §2.8). The query names its tenant and skips the automatic scope so it
    also answers from the platform context."""
    settings = db.session.scalar(
        select(PaymentSettings)
        .where(PaymentSettings.tenant_id == tenant_id)
        .execution_options(**{SKIP_OPTION: True})
    )
    if settings is not None and settings.currencies:
        return [str(code).upper() for code in settings.currencies]
    default = db.session.scalar(select(Tenant.default_currency).where(Tenant.id == tenant_id))
    return [default] if default else []


_EXPONENTS: dict[str, tuple[float, int]] = {}
EXPONENT_TTL = 300.0  # seconds; an exponent changes only when staff edit the registry


def exponent(code: str) -> int:
    """The currency's exponent, kept in memory for a few minutes: receipts and reports ask
    per row, and the registry almost never changes."""
    now = time.monotonic()
    cached = _EXPONENTS.get(code)
    if cached is not None and cached[0] > now:
        return cached[1]
    value = db.session.scalar(select(Currency.exponent).where(Currency.code == code))
    value = get_currency_precision(code) if value is None else int(value)
    _EXPONENTS[code] = (now + EXPONENT_TTL, value)
    return value
