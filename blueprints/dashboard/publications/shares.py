"""Sharing an owned publication with other stores: list, add by slug, revoke."""

from flask import request, url_for

from app.extensions import db
from app.htmx import hx_location, render, toast
from blueprints.access import actor, admin_required
from blueprints.dashboard import bp
from blueprints.dashboard.publications.common import AREA, owned_or_404, page_context
from blueprints.dashboard.publications.forms import PlainForm, ShareForm, field_error
from services.catalog import shares as share_service
from services.errors import DomainError
from services.tenancy.context import current_tenant


@bp.route("/publications/<uuid:uuid>/shares", methods=["GET", "POST"], defaults=AREA)
@admin_required
def publication_shares(slug, uuid):
    publication = owned_or_404(uuid)
    form, error, status = ShareForm(), None, 200
    if form.validate_on_submit():
        target = form.slug.data.strip().lower()
        try:
            share_service.share(actor(), current_tenant().id, publication, target)
            db.session.commit()
            here = url_for("dashboard.publication_shares", uuid=uuid)
            return toast(hx_location(here), f"Shared with {target}.", "success")
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
    if request.method == "POST":
        status = 422
    return _page(publication, form, error, status)


def _page(publication, form, error, status):
    return render(
        "dashboard/publications/shares.html",
        "dashboard/publications/_shares.html",
        status,
        **page_context(
            publication=publication,
            shares=share_service.shares_of(current_tenant().id, publication.id),
            form=form,
            revoke_form=PlainForm(prefix="revoke"),
            error=error,
        ),
    )


@bp.post("/publications/<uuid:uuid>/shares/<uuid:share_uuid>/revoke", defaults=AREA)
@admin_required
def revoke_share(slug, uuid, share_uuid):
    publication = owned_or_404(uuid)
    form = PlainForm(prefix="revoke")
    error = "The form expired; reload the page and try again."
    if form.validate_on_submit():
        try:
            share_service.revoke(actor(), current_tenant().id, share_uuid)
            db.session.commit()
            here = url_for("dashboard.publication_shares", uuid=uuid)
            return toast(hx_location(here), "Share revoked.", "success")
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    return _page(publication, ShareForm(formdata=None), error, 422)
