"""Store pages; the catalogue arrives with the catalog area."""

from flask import render_template

from blueprints.store import bp


@bp.get("/")
def index():
    return render_template("store/index.html")
