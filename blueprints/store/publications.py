"""The publication page (spec 70 §5.3); the reading view arrives with its own issue."""

from flask import abort

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
