"""The tenant control panel at /dashboard, for the tenant's administrators."""

from flask import Blueprint

from app.tenancy import guard_tenant_area

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
guard_tenant_area(bp, "dashboard")

from blueprints.dashboard import (  # noqa: E402,F401
    bulk_assignments,
    features,
    orders,
    plans,
    publications,
    routes,
    shipping,
    subscriptions,
    user_plans,
)
