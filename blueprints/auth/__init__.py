"""Sign-in for readers and tenant admins on tenant hosts."""

from flask import Blueprint

from app.tenancy import guard_tenant_area

bp = Blueprint("auth", __name__)
guard_tenant_area(bp, "auth")

from blueprints.auth import routes  # noqa: E402,F401
