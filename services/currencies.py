"""The currency registry: seeding and the choices offered in forms (spec 40 §2.3)."""

from babel.numbers import get_currency_name, get_currency_precision
from sqlalchemy import select

from app.extensions import db
from app.models.gateways import Currency

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
