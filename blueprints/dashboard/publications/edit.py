"""One publication: edit its metadata (owner) or this store's terms, prices and flags (any
entry), delete it (owner), and the BISAC autocomplete."""

from datetime import UTC, datetime

from flask import make_response, render_template, request, url_for

from app.extensions import db
from app.htmx import hx_location, render, toast, varies
from blueprints.access import actor, admin_required
from blueprints.dashboard import bp
from blueprints.dashboard.publications import editing
from blueprints.dashboard.publications.common import (
    AREA,
    entry_or_404,
    owned_or_404,
    page_context,
)
from blueprints.dashboard.publications.forms import PlainForm, field_error
from services.catalog import bisac
from services.catalog import publications as publication_service
from services.errors import DomainError
from services.tenancy.context import current_tenant

PAGE = "dashboard/publications/edit.html"


@bp.route("/publications/<uuid:uuid>", methods=["GET", "POST"], defaults=AREA)
@admin_required
def edit_publication(slug, uuid):
    tenant, entry = current_tenant(), entry_or_404(uuid)
    publication = owned_or_404(uuid) if entry.owned else None
    form, groups, exponents = editing.build(tenant, entry, publication)
    error, status = None, 200
    op = request.form.get("contributor_op", "") if entry.owned else ""
    if op:
        form.apply_contributor_op(op)  # add or drop a row; nothing is saved
    elif form.validate_on_submit():
        try:
            if entry.owned:
                editing.save_owned(tenant, publication, form, exponents)
            else:
                editing.save_entry(tenant, entry, form, exponents)
            db.session.commit()
            target = url_for("dashboard.edit_publication", uuid=entry.uuid)
            return toast(hx_location(target), "Publication saved.", "success")
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
    if request.method == "POST" and not op:
        status = 422
    return _page(form, groups, exponents, entry, publication, error, status)


def _page(form, groups, exponents, entry, publication, error, status):
    context = page_context(
        form=form,
        groups=groups,
        exponents=exponents,
        entry=entry,
        publication=publication,
        error=error,
        delete_form=PlainForm(prefix="delete"),
        headings=bisac.headings(form.bisac_codes()) if entry.owned else {},
        now=datetime.now(UTC),
    )
    fragment = "dashboard/publications/_edit_form.html"
    if not entry.owned:
        fragment = "dashboard/publications/_entry_form.html"
    return render(PAGE, fragment, status, **context)


@bp.post("/publications/<uuid:uuid>/delete", defaults=AREA)
@admin_required
def delete_publication(slug, uuid):
    publication = owned_or_404(uuid)
    form = PlainForm(prefix="delete")
    error = "The form expired; reload the page and try again."
    if form.validate_on_submit():
        try:
            publication_service.delete_publication(actor(), current_tenant().id, publication)
            db.session.commit()
            return toast(hx_location(url_for("dashboard.publications")), "Publication deleted.")
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    return render(
        "dashboard/publications/delete_refused.html",
        "dashboard/publications/_delete_result.html",
        409,
        **page_context(error=error, uuid=uuid),
    )


@bp.get("/publications/bisac", defaults=AREA)
@admin_required
def bisac_options(slug):
    """The datalist under the BISAC inputs: codes or headings matching what was typed."""
    typed = next((v for v in request.args.values() if v.strip()), "")
    subjects = bisac.search_subjects(typed.strip(), limit=10) if len(typed.strip()) >= 2 else []
    html = render_template("dashboard/publications/_bisac_options.html", subjects=subjects)
    return varies(make_response(html))
