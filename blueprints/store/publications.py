"""The publication page (spec 70 §5.3) and the reading view's address (§5.4)."""

from urllib.parse import quote

from flask import abort, redirect, request

from app.htmx import render
from blueprints.store import bp, context
from services.storefront.publication import publication_page
from services.tenancy.context import current_tenant


@bp.get("/publications/<uuid:publication_uuid>")
def publication(publication_uuid):
    detail = publication_page(
        current_tenant().id,
        publication_uuid,
        user_id=context.reader_id(),
        can_preview=context.is_tenant_admin(),
    )
    if detail is None:
        abort(404)
    response = render("store/publication.html", "store/_publication.html", detail=detail)
    if detail.preview:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/publications/<uuid:publication_uuid>/read")
def read(publication_uuid):
    """The reading view's address with its access rules (guests sign in, the unreadable get
    404); the viewer itself comes with the processing pipeline, and until then the page says
    so instead of failing."""
    user_id = context.reader_id()
    if user_id is None:
        return redirect(f"/login?next={quote(request.path)}")
    detail = publication_page(current_tenant().id, publication_uuid, user_id=user_id)
    if detail is None or not (detail.readable or detail.is_free):
        abort(404)
    return render("store/read.html", "store/_read.html", detail=detail)
