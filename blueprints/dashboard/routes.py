"""Dashboard home and the honest placeholder for areas that are not built yet."""

from flask import abort, render_template

from blueprints.access import admin_required
from blueprints.areas import DASHBOARD_AREAS, find
from blueprints.dashboard import bp


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
