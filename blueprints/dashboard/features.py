"""The tenant's read-only features page and its lazily loaded usage bars (spec 20 §11.1)."""

from flask import render_template

from app.htmx import render
from blueprints.access import admin_required
from blueprints.areas import DASHBOARD_AREAS
from blueprints.dashboard import bp
from services.features import overview
from services.tenancy.context import current_tenant

# `slug` marks the area as current in the sidebar, as the other areas' URLs do.
AREA = {"slug": "features"}


@bp.get("/features", defaults=AREA)
@admin_required
def features(slug):
    tenant = current_tenant()
    return render_template(
        "dashboard/features.html", summary=overview.build(tenant), usage=None, areas=DASHBOARD_AREAS
    )


@bp.get("/features/usage", defaults=AREA)
@admin_required
def feature_usage(slug):
    """The usage fragment for the page's lazy load; without JavaScript, the page with usage."""
    tenant = current_tenant()
    return render(
        "dashboard/features.html",
        "dashboard/_feature_usage.html",
        summary=overview.build(tenant),
        usage=overview.usage(tenant),
        areas=DASHBOARD_AREAS,
    )
