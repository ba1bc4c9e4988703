"""The platform area at /platform on app.<PLATFORM_DOMAIN>, for staff."""

from flask import Blueprint

from app.tenancy import guard_platform_area

bp = Blueprint("platform", __name__, url_prefix="/platform")
guard_platform_area(bp)

from blueprints.platform import (  # noqa: E402,F401
    features,
    kill_switches,
    plans,
    routes,
    tenant_features,
    tenant_orders,
    tenants,
)


@bp.context_processor
def _navigation():
    from blueprints.areas import PLATFORM_AREAS

    return {"platform_areas": PLATFORM_AREAS}
