"""What the publications views share: the sidebar marker, look-ups that answer 404, the quota
meter, tenant-time conversions and prices between major and minor units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from flask import abort

from blueprints.areas import DASHBOARD_AREAS
from services import features
from services.catalog import admin_list
from services.catalog import publications as publication_service
from services.errors import NotFound, ValidationError
from services.features import quotas
from services.features.overview import usage_level
from services.tenancy.context import current_tenant

# `slug` marks the area as current in the sidebar, as the other areas' URLs do.
AREA = {"slug": "publications"}
ISSUES_LIMIT = "issues_limit"


def page_context(**context) -> dict:
    return {"areas": DASHBOARD_AREAS, **context}


def owned_or_404(uuid):
    """The current tenant's own publication (owner-only routes), or 404."""
    try:
        return publication_service.owned_publication(current_tenant().id, uuid)
    except NotFound:
        abort(404)


def entry_or_404(uuid) -> admin_list.AdminRow:
    """The current tenant's catalogue entry for the publication (any source), or 404."""
    row = admin_list.catalog_item(current_tenant().id, uuid)
    if row is None:
        abort(404)
    return row


@dataclass(frozen=True)
class Quota:
    text: str
    level: str
    percent: int
    can_upload: bool
    reason: str | None


def quota(tenant) -> Quota:
    """The meter above the table: "17 of 20 publications", or Unlimited."""
    used = publication_service.count_owned(tenant.id)
    limit = features.limit(tenant, ISSUES_LIMIT)
    level, percent = usage_level(used, limit)
    if limit is features.UNLIMITED:
        text = f"{used} publications · Unlimited"
    elif limit is None:
        text = f"{used} publications · {quotas.NOT_INCLUDED}"
    else:
        text = f"{used} of {limit} publications"
    allowed = features.within_limit(tenant, ISSUES_LIMIT, used)
    reason = None if allowed else quotas.message(ISSUES_LIMIT, limit, used)
    return Quota(text, level, percent, allowed, reason)


def cover_urls(rows) -> dict[int, str]:
    """Signed cover URLs by publication id, for the rows that have a cover."""
    from services.storage import COVER_URL_SECONDS, get_storage

    storage = get_storage()
    return {
        row.id: storage.url(row.cover_key, expires_in=COVER_URL_SECONDS)
        for row in rows
        if row.cover_key
    }


def price_context(rows) -> dict:
    """What the price macro needs: the currencies' exponents and the major-unit formatter."""
    codes = sorted({code for row in rows for code, _ in row.prices})
    return {"exponents": admin_list.currency_exponents(codes), "major": major}


def local_input(moment: datetime | None, tzinfo) -> datetime | None:
    """An aware UTC time as the naive tenant-local value a datetime-local input shows."""
    return None if moment is None else moment.astimezone(tzinfo).replace(tzinfo=None)


def from_local(value: datetime | None, tzinfo) -> datetime | None:
    """A datetime-local value typed in the tenant's time zone, as aware UTC (empty = draft)."""
    return None if value is None else value.replace(tzinfo=tzinfo).astimezone(UTC)


def major(amount_minor: int, exponent: int) -> Decimal:
    return Decimal(amount_minor).scaleb(-exponent)


def minor_amounts(form, exponents: dict[str, int]) -> dict[str, int | None]:
    """The form's price fields in minor units; empty means no price in that currency. An
    amount with more decimals than the currency has, or not above zero, is a field error."""
    from blueprints.dashboard.publications.forms import price_field_name

    amounts: dict[str, int | None] = {}
    for code, exponent in exponents.items():
        name = price_field_name(code)
        value = form[name].data
        if value is None:
            amounts[code] = None
            continue
        scaled = Decimal(value).scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise ValidationError(f"{code} takes at most {exponent} decimals.", field=name)
        if scaled <= 0:
            raise ValidationError("Leave the price empty, or enter more than 0.", field=name)
        amounts[code] = int(scaled)
    return amounts
