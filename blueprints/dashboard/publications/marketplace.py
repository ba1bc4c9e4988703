"""The platform marketplace as a store sees it: search other stores' listed publications and
add them to (or remove them from) this store's catalogue."""

from flask import request, url_for

from app.extensions import db
from app.htmx import hx_location, render, toast
from blueprints.access import actor, admin_required
from blueprints.dashboard import bp
from blueprints.dashboard.publications.common import AREA, page_context
from blueprints.dashboard.publications.forms import PlainForm
from services.catalog import marketplace as market
from services.errors import DomainError
from services.tenancy.context import current_tenant

PAGE = "dashboard/publications/marketplace.html"
FRAGMENT = "dashboard/publications/_marketplace_table.html"


def _listing(status=200, error=None):
    q = request.values.get("q", "")[:200]
    page = request.values.get("page", 1, type=int) or 1
    result = market.marketplace_listing(current_tenant().id, q.strip(), max(1, page))
    args = {"q": q} if q else {}
    return render(
        PAGE,
        FRAGMENT,
        status,
        **page_context(result=result, args=args, q=q, error=error, form=PlainForm(prefix="market")),
    )


@bp.get("/publications/marketplace", defaults=AREA)
@admin_required
def publication_marketplace(slug):
    return _listing()


@bp.post("/publications/marketplace/<uuid:uuid>/<any(add, remove):op>", defaults=AREA)
@admin_required
def marketplace_change(slug, uuid, op):
    form = PlainForm(prefix="market")
    if not form.validate_on_submit():
        return _listing(422, "The form expired; reload the page and try again.")
    change = market.add_from_marketplace if op == "add" else market.remove_from_marketplace
    try:
        change(actor(), current_tenant().id, uuid)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _listing(422, exc.message)
    back = url_for(
        "dashboard.publication_marketplace",
        q=request.form.get("q") or None,
        page=request.form.get("page") or None,
    )
    message = "Added to your catalogue." if op == "add" else "Removed from your catalogue."
    return toast(hx_location(back), message, "success")
