"""Bulk assignment pages (spec 30 §8.2): past imports and the upload form, an import's page
with its self-polling progress, and the report of the rows that were not created."""

from flask import Response, abort, request, url_for

from app.extensions import csrf, db
from app.htmx import hx_location, is_htmx, is_partial, render
from blueprints.access import actor, admin_required
from blueprints.areas import DASHBOARD_AREAS
from blueprints.dashboard import bp
from blueprints.dashboard.publications.forms import field_error
from blueprints.dashboard.user_plan_forms import BulkUploadForm
from services import bulk_csv, bulk_imports
from services.csv_export import rows_to_csv
from services.errors import DomainError, NotFound
from services.tenancy.context import current_tenant

AREA = {"slug": "bulk-assignments"}
FINISHED = ("completed", "failed")
STOP_POLLING = 286  # htmx stops an `every 1s` trigger when the answer has this status
# The multipart envelope around a file at the limit is far smaller than this allowance.
REQUEST_LIMIT = bulk_csv.MAX_BYTES + 64 * 1024
TOO_LARGE = f"The file is larger than {bulk_csv.MAX_BYTES // (1024 * 1024)} MB."


def _list(form, status: int = 200, error: str | None = None, fragment=None):
    page = bulk_imports.list_imports(current_tenant().id, request.args.get("page", 1, type=int))
    return render(
        "dashboard/bulk_assignments/index.html",
        fragment or "dashboard/bulk_assignments/_imports.html",
        status,
        areas=DASHBOARD_AREAS,
        result=page,
        form=form,
        error=error,
        args={},
    )


@bp.get("/bulk-assignments", defaults=AREA)
@admin_required
def bulk_assignments(slug):
    return _list(BulkUploadForm())


@bp.post("/bulk-assignments", defaults=AREA)
@csrf.exempt  # checked below, once the size is known: the CSRF check would read the body
@admin_required
def upload_bulk_assignment(slug):
    form_fragment = "dashboard/bulk_assignments/_upload_form.html"
    if (request.content_length or 0) > REQUEST_LIMIT:
        form = BulkUploadForm(formdata=None)
        form.file.errors = [TOO_LARGE]
        # htmx swaps 422 answers only (base.html's responseHandling); a plain post gets 413.
        return _list(form, 422 if is_htmx() else 413, fragment=form_fragment)
    csrf.protect()
    form = BulkUploadForm()
    if not form.validate_on_submit():
        return _list(form, 422, fragment=form_fragment)
    upload = form.file.data
    try:
        row = bulk_imports.start_import(
            current_tenant().id,
            actor(),
            upload.stream,
            upload.filename or "import.csv",
            notify_new_users=form.notify_new_users.data,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _list(form, 422, field_error(form, exc), fragment=form_fragment)
    return hx_location(url_for("dashboard.bulk_assignment", import_uuid=row.uuid))


def _import(import_uuid):
    try:
        return bulk_imports.get_import(current_tenant().id, import_uuid)
    except NotFound:
        abort(404)


def _detail(row, fragment: str, status: int = 200):
    return render(
        "dashboard/bulk_assignments/detail.html",
        fragment,
        status,
        areas=DASHBOARD_AREAS,
        row=row,
        finished=row.status in FINISHED,
    )


@bp.get("/bulk-assignments/<uuid:import_uuid>", defaults=AREA)
@admin_required
def bulk_assignment(slug, import_uuid):
    return _detail(_import(import_uuid), "dashboard/bulk_assignments/_progress.html")


@bp.get("/bulk-assignments/<uuid:import_uuid>/progress", defaults=AREA)
@admin_required
def bulk_assignment_progress(slug, import_uuid):
    """The progress fragment the page polls; once the import has ended it answers 286."""
    row = _import(import_uuid)
    finished = row.status in FINISHED
    status = STOP_POLLING if finished and is_partial() else 200
    return _detail(row, "dashboard/bulk_assignments/_progress.html", status)


@bp.get("/bulk-assignments/<uuid:import_uuid>/report.csv", defaults=AREA)
@admin_required
def bulk_assignment_report(slug, import_uuid):
    row = _import(import_uuid)
    header, body = bulk_imports.report_rows(row)
    response = Response("".join(rows_to_csv(header, body)), mimetype="text/csv")
    name = f"bulk-assignment-{row.uuid}-report.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
