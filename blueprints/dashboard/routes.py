"""Dashboard home and the honest placeholder for areas that are not built yet."""

from flask import abort, render_template

from blueprints.access import admin_required
from blueprints.areas import DASHBOARD_AREAS, find
from blueprints.dashboard import bp

WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


@bp.get("/")
@admin_required
def home():
    return render_template("dashboard/home.html", areas=DASHBOARD_AREAS)


@bp.get("/<path:slug>")
@admin_required
def area(slug):
    found = find(DASHBOARD_AREAS, slug)
    if found is None:
        abort(404)
    return render_template("dashboard/not_available.html", area=found, areas=DASHBOARD_AREAS)


@bp.route("/", methods=WRITE_METHODS, endpoint="no_writes")
@bp.route("/<path:slug>", methods=WRITE_METHODS, endpoint="no_writes")
@admin_required
def no_writes(slug=None):
    """No area takes writes yet. Routing them here (not to a bare 405) lets CSRF and the
    suspension guard answer first: a suspended tenant's dashboard POST is a 403 (spec 10 §6)."""
    abort(405, valid_methods=["GET", "HEAD"])
