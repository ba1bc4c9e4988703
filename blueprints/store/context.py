"""What every store view needs from the request: the reader, the feature gates (with the crawler
signals) and the listing options the tenant's settings and features imply."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from blueprints.feature_gates import request_signals
from services import features
from services.inventory.options import FeatureGates
from services.tenancy.context import current_tenant

MAX_PAGE = 10_000  # a larger page is past any catalogue's end; keeps the number an int


def reader_id() -> int | None:
    """The signed-in user of this tenant, or None for a guest."""
    if not current_user.is_authenticated:
        return None
    return current_user.id if current_user.tenant_id == current_tenant().id else None


def is_tenant_admin() -> bool:
    return reader_id() is not None and current_user.is_admin


def gates() -> FeatureGates:
    """The storefront gates as `features.enabled` decides them for this request (kill switches,
    overrides and the crawler gate included)."""
    tenant, signals = current_tenant(), request_signals()
    return FeatureGates(
        search=features.enabled(tenant, "storefront_search", signals),
        search_terms=features.enabled(tenant, "storefront_search_terms", signals),
        recommended=features.enabled(tenant, "storefront_recommended_issues", signals),
    )


def listing_options(hide_adult_content: bool) -> dict[str, bool]:
    return {
        "exclude_physical_publications": not features.enabled(current_tenant(), "physicals_goods"),
        "exclude_adult_content": hide_adult_content,
    }


def page_arg() -> int:
    """`?page=` as a page number: anything not a positive integer is page 1."""
    page = request.args.get("page", type=int)
    return min(page, MAX_PAGE) if page and page > 0 else 1
