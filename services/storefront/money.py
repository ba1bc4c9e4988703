"""Prices for people: minor units shown in major units by the currency's exponent."""

from __future__ import annotations

from decimal import Decimal

from babel.core import UnknownLocaleError
from babel.numbers import format_currency
from sqlalchemy import select

from app.extensions import db
from app.models.gateways import Currency


def currency_exponents() -> dict[str, int]:
    return dict(db.session.execute(select(Currency.code, Currency.exponent)).all())


def format_minor(amount_minor: int, currency: str, exponent: int, locale: str = "en") -> str:
    """`1999, "USD", 2` -> "$19.99" (in `locale`); an unknown locale falls back to English."""
    amount = Decimal(int(amount_minor)).scaleb(-exponent)
    try:
        return format_currency(amount, currency, locale=locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return format_currency(amount, currency, locale="en")
