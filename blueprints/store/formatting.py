"""Template helpers of the store pages: money, dates, languages and durations."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import g

from blueprints.store import bp
from services.storefront.facets import language_name
from services.storefront.money import currency_exponents, format_minor
from services.tenancy.context import current_tenant


def money(amount_minor: int, currency: str) -> str:
    exponents = g.get("currency_exponents")
    if exponents is None:
        exponents = g.currency_exponents = currency_exponents()
    return format_minor(amount_minor, currency, exponents.get(currency, 2), current_tenant().locale)


def card_price(prices) -> str:
    """A card's price: in the tenant's default currency when it has one, else the first."""
    if not prices:
        return ""
    default = current_tenant().default_currency
    currency, amount = next((p for p in prices if p[0] == default), prices[0])
    return money(amount, currency)


def long_date(value: datetime | None) -> str:
    if value is None:
        return ""
    tenant = current_tenant()
    local = value.astimezone(ZoneInfo(tenant.timezone or "UTC"))
    try:
        return format_date(local, format="long", locale=tenant.locale.replace("-", "_"))
    except ValueError:
        return format_date(local, format="long", locale="en")


def duration(seconds: int | None) -> str:
    if not seconds:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    return f"{hours} h {minutes:02d} min" if hours else f"{max(minutes, 1)} min"


@bp.context_processor
def _helpers():
    return {
        "money": money,
        "card_price": card_price,
        "long_date": long_date,
        "duration": duration,
        "language_label": lambda code: language_name(code, current_tenant().locale),
    }
