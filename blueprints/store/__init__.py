"""The reader-facing store on a tenant's host."""

from flask import Blueprint

from app.tenancy import guard_tenant_area

bp = Blueprint("store", __name__)
guard_tenant_area(bp, "store")

from blueprints.store import routes  # noqa: E402,F401
