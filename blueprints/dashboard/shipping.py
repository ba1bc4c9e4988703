"""The shipping area of the control panel (spec 30 §9.1, §9.6): carriers under settings, the
shipping-notes table with inline and bulk status changes, its CSV export, and one note's page
with its tracking, recipient corrections, delete/restore and activity."""

from flask import (
    Response,
    abort,
    flash,
    make_response,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from app.extensions import db
from app.htmx import hx_location, is_partial, render, toast, varies
from blueprints.access import actor, admin_required
from blueprints.areas import DASHBOARD_AREAS
from blueprints.dashboard import bp
from blueprints.dashboard import shipping_forms as forms
from blueprints.dashboard.publications.forms import PlainForm, field_error
from blueprints.feature_gates import require_feature
from services import features, shipping_carriers
from services import shipping_notes as notes_service
from services.errors import DomainError, NotFound, ValidationError
from services.money import to_major
from services.shipping import FEATURE, PROVINCE_FEATURE
from services.tenancy.context import current_tenant

AREA = {"slug": "shipping-notes"}
NOTES = ("dashboard/shipping/notes.html", "dashboard/shipping/_notes.html")
NOTE = ("dashboard/shipping/note.html", "dashboard/shipping/_note.html")
CARRIER = ("dashboard/shipping/carrier.html", "dashboard/shipping/_carrier_form.html")


def gated(view):
    """Tenant admins of a store with physical goods (403 without the feature)."""
    return admin_required(require_feature(FEATURE)(view))


def context(**values) -> dict:
    exponents = shipping_carriers.currency_exponents()

    def money(amount_minor, currency) -> str:
        return f"{currency} {to_major(amount_minor or 0, exponents.get(currency, 2))}"

    return {
        "areas": DASHBOARD_AREAS,
        "money": money,
        "label": forms.status_label,
        "statuses": notes_service.STATUSES,
        **values,
    }


def _note_or_404(uuid):
    try:
        return notes_service.get_note(current_tenant().id, uuid)
    except NotFound:
        abort(404)


def _carrier_or_404(uuid):
    try:
        return shipping_carriers.get_carrier(current_tenant().id, uuid)
    except NotFound:
        abort(404)


# -- carriers ---------------------------------------------------------------------------------


@bp.get("/settings/shipping", defaults=AREA)
@gated
def shipping_settings(slug):
    archived = request.args.get("archived") == "1"
    rows = shipping_carriers.list_carriers(current_tenant().id, include_archived=archived)
    return render(
        "dashboard/shipping/settings.html",
        "dashboard/shipping/_carriers.html",
        **context(
            carriers=rows,
            archived=archived,
            by_province=features.enabled(current_tenant(), PROVINCE_FEATURE),
            remove_form=PlainForm(prefix="remove"),
        ),
    )


def _carrier_page(carrier, change, message: str):
    exponents = shipping_carriers.currency_exponents()
    form = forms.carrier_form(current_tenant().id, exponents, carrier)
    error, status = None, 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                change(form.values())
                db.session.commit()
                target = url_for("dashboard.shipping_settings")
                return toast(hx_location(target), message, "success")
            except DomainError as exc:
                db.session.rollback()
                error = field_error(form, exc)
    return render(*CARRIER, status, **context(form=form, carrier=carrier, error=error))


@bp.route("/settings/shipping/new", methods=["GET", "POST"], defaults=AREA)
@gated
def new_carrier(slug):
    def create(values):
        shipping_carriers.create_carrier(actor(), current_tenant().id, values)

    return _carrier_page(None, create, "Carrier added.")


@bp.route("/settings/shipping/<uuid:uuid>", methods=["GET", "POST"], defaults=AREA)
@gated
def edit_carrier(slug, uuid):
    carrier = _carrier_or_404(uuid)
    return _carrier_page(
        carrier,
        lambda values: shipping_carriers.update_carrier(actor(), carrier, values),
        "Carrier saved.",
    )


@bp.post("/settings/shipping/<uuid:uuid>/remove", defaults=AREA)
@gated
def remove_carrier(slug, uuid):
    carrier = _carrier_or_404(uuid)
    if not PlainForm(prefix="remove").validate_on_submit():
        abort(400)
    outcome = shipping_carriers.remove_carrier(actor(), carrier)
    db.session.commit()
    message = (
        "Carrier archived: its notes keep it." if outcome == "archived" else "Carrier deleted."
    )
    return toast(hx_location(url_for("dashboard.shipping_settings")), message, "success")


# -- the notes list ---------------------------------------------------------------------------


def _filters():
    tenant_id = current_tenant().id
    carriers = shipping_carriers.list_carriers(tenant_id, include_archived=True)
    form = forms.NoteFilterForm(request.args).with_carriers(carriers)
    return form, form.parsed(request.args.get("after"))


def _notes_page(status: int = 200, bulk_error: str | None = None):
    form, query = _filters()
    try:
        result = notes_service.list_notes(current_tenant().id, query)
    except ValidationError:
        abort(400)
    args = forms.list_args(request.args)
    bulk = forms.BulkStatusForm(formdata=None)
    return render(
        *NOTES,
        status,
        **context(form=form, result=result, args=args, bulk_form=bulk, bulk_error=bulk_error),
    )


@bp.get("/shipping-notes", defaults=AREA)
@gated
def shipping_notes(slug):
    return _notes_page()


@bp.get("/shipping-notes/export.csv", defaults=AREA)
@gated
def export_shipping_notes(slug):
    _, query = _filters()
    chunks = stream_with_context(notes_service.export_csv(current_tenant().id, query))
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="shipping-notes.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/shipping-notes/bulk-status", defaults=AREA)
@gated
def bulk_status(slug):
    form = forms.BulkStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = notes_service.bulk_change_status(
            actor(), current_tenant().id, form.notes.data or [], form.status.data
        )
    except NotFound:
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        return _notes_page(422, exc.message)
    db.session.commit()
    target = url_for("dashboard.shipping_notes", **forms.list_args(request.args))
    return toast(hx_location(target), f"Status changed on {changed} notes.", "success")


def _row(note, status: int = 200, error: str | None = None):
    row = notes_service.row_for(note)
    html = render_template("dashboard/shipping/_note_row.html", **context(row=row, error=error))
    return varies(make_response(html, status))


@bp.route("/shipping-notes/<uuid:uuid>/status", methods=["PUT", "POST"], defaults=AREA)
@gated
def note_status(slug, uuid):
    """The table's inline select (a PUT answering the row) or the note page's form."""
    note = _note_or_404(uuid)
    form = forms.StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        notes_service.change_status(actor(), note, form.status.data)
        db.session.commit()
        error, status = None, 200
    except DomainError as exc:
        db.session.rollback()
        error, status = exc.message, exc.status
    if is_partial():
        response = _row(note, status, error)
        return response if error else toast(response, f"Status: {forms.status_label(note.status)}.")
    flash(error or "Status changed.", "error" if error else "success")
    return hx_location(url_for("dashboard.shipping_note", uuid=uuid))


# -- one note ---------------------------------------------------------------------------------


def _note_page(note, status: int = 200, error: str | None = None, **given):
    return render(
        *NOTE,
        status,
        **context(
            row=notes_service.row_for(note),
            activity=notes_service.note_activity(note),
            status_form=forms.StatusForm(formdata=None, status=note.status),
            tracking_form=given.get("tracking") or forms.TrackingForm(formdata=None, obj=note),
            snapshot_form=given.get("snapshot") or forms.SnapshotForm.for_note(note, formdata=None),
            plain=PlainForm(prefix="note", formdata=None),
            error=error,
        ),
    )


@bp.get("/shipping-notes/<uuid:uuid>", defaults=AREA)
@gated
def shipping_note(slug, uuid):
    return _note_page(_note_or_404(uuid))


def _save(note, form, change, message: str, key: str):
    """Validate `form`, apply `change(form)`, answer the note page (or its 422 with errors)."""
    error = None
    if form.validate_on_submit():
        try:
            change(form)
            db.session.commit()
            target = url_for("dashboard.shipping_note", uuid=note.uuid)
            return toast(hx_location(target), message, "success")
        except DomainError as exc:
            db.session.rollback()
            error = forms.service_error(form, exc)
    return _note_page(note, 422, error, **{key: form})


@bp.post("/shipping-notes/<uuid:uuid>/tracking", defaults=AREA)
@gated
def note_tracking(slug, uuid):
    note = _note_or_404(uuid)

    def change(form):
        code, link = form.tracking_code.data, form.tracking_url.data
        notes_service.update_tracking(actor(), note, code, link)

    return _save(note, forms.TrackingForm(), change, "Tracking saved.", "tracking")


@bp.post("/shipping-notes/<uuid:uuid>/snapshot", defaults=AREA)
@gated
def note_snapshot(slug, uuid):
    note = _note_or_404(uuid)

    def change(form):
        notes_service.update_snapshot(actor(), note, form.merged(note.shipping_information))

    form = forms.SnapshotForm.for_note(note)
    return _save(note, form, change, "Shipping details saved.", "snapshot")


@bp.post("/shipping-notes/<uuid:uuid>/<any(delete, restore):action>", defaults=AREA)
@gated
def note_lifecycle(slug, uuid, action):
    note = _note_or_404(uuid)
    if not PlainForm(prefix="note").validate_on_submit():
        abort(400)
    change = notes_service.delete_note if action == "delete" else notes_service.restore_note
    try:
        change(actor(), note)
        db.session.commit()
        flash("Note deleted." if action == "delete" else "Note restored.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return hx_location(url_for("dashboard.shipping_note", uuid=uuid))
