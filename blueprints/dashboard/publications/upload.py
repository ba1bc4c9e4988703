"""The upload form: detect the file's type, check the quota, store it, create the publication."""

from flask import request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.extensions import db
from app.htmx import hx_location, is_htmx, render
from blueprints.access import actor, admin_required
from blueprints.dashboard import bp
from blueprints.dashboard.publications.common import AREA, page_context, quota
from blueprints.dashboard.publications.forms import (
    ACCEPT,
    UploadForm,
    field_error,
    language_choices,
)
from services import uploads
from services.errors import DomainError
from services.tenancy.context import current_tenant


def upload_form() -> UploadForm:
    form = UploadForm()
    form.language.choices = language_choices()
    if not form.is_submitted():
        form.language.data = (current_tenant().locale or "en")[:2].lower()
    return form


def receive(form: UploadForm):
    """Steps 3–6 of the upload flow in one service call; a refusal leaves nothing stored."""
    upload = form.file.data
    return uploads.upload_publication(
        actor(),
        current_tenant(),
        upload.stream,
        upload.filename or "",
        language=form.language.data,
        title=(form.title.data or "").strip() or None,
        created_by_user_id=current_user.id,
    )


@bp.route("/publications/new", methods=["GET", "POST"], defaults=AREA)
@admin_required
def new_publication(slug):
    form, error, status = upload_form(), None, 200
    if form.validate_on_submit():
        try:
            publication = receive(form)
            db.session.commit()
            return hx_location(url_for("dashboard.edit_publication", uuid=publication.uuid))
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
    if form.is_submitted():
        status = 422
    return _page(form, error, status)


def _page(form, error, status):
    return render(
        "dashboard/publications/new.html",
        "dashboard/publications/_upload_form.html",
        status,
        **page_context(form=form, error=error, quota=quota(current_tenant()), accept=ACCEPT),
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    """Above MAX_CONTENT_LENGTH the body is never read: the upload form answers 413 with the
    reason; other dashboard routes keep the plain 413."""
    if request.endpoint != "dashboard.new_publication":
        return exc
    form = UploadForm(formdata=None)
    form.language.choices = language_choices()
    limit = (request.max_content_length or 0) // (1024 * 1024)
    form.file.errors = [f"The file is larger than the {limit} MB upload limit."]
    # htmx swaps 422 answers only (base.html's responseHandling); a plain post gets the 413.
    return _page(form, None, 422 if is_htmx() else 413)
