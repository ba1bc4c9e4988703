"""Readers and their plans (spec 30 §8.1): a lookup by email, each user's lines, the assign
dialog (plan, publication or recorded external sale) and the cancel dialog of grant lines."""

from flask import abort, make_response, render_template, request, url_for

from app.extensions import db
from app.htmx import hx_location, is_partial, render, toast, varies
from blueprints.access import actor, admin_required
from blueprints.areas import DASHBOARD_AREAS
from blueprints.dashboard import bp
from blueprints.dashboard.publications.forms import field_error
from blueprints.dashboard.user_plan_forms import (
    AssignForm,
    CancelForm,
    UserSearchForm,
    claim,
    submit,
)
from services import assignments
from services.errors import DomainError, NotFound
from services.tenancy.context import current_tenant

AREA = {"slug": "users"}
PAGE = "dashboard/user_plans/plans.html"
LINES = "dashboard/user_plans/_lines.html"
EXPIRED = "This form was already sent or has expired; it is shown again with a new one."


def _user(user_uuid):
    try:
        return assignments.get_user(current_tenant().id, user_uuid)
    except NotFound:
        abort(404)


def _plans_url(user) -> str:
    return url_for("dashboard.user_plans", user_uuid=user.uuid)


def _page(user, fragment: str, status: int = 200, **dialog):
    """The plans page (with a dialog open when asked), or for HTMX just `fragment`."""
    lines = []
    if fragment == LINES or not is_partial():  # a dialog fragment shows no lines
        lines = assignments.user_lines(current_tenant().id, user.id)
    return render(PAGE, fragment, status, areas=DASHBOARD_AREAS, user=user, lines=lines, **dialog)


@bp.get("/users", defaults=AREA)
@admin_required
def users(slug):
    form = UserSearchForm(request.args)
    found = assignments.find_users(current_tenant().id, form.q.data or "")
    return render(
        "dashboard/user_plans/users.html",
        "dashboard/user_plans/_users.html",
        areas=DASHBOARD_AREAS,
        form=form,
        users=found,
    )


@bp.get("/users/<uuid:user_uuid>/plans", defaults=AREA)
@admin_required
def user_plans(slug, user_uuid):
    return _page(_user(user_uuid), LINES)


def _assign_form(formdata=None) -> AssignForm:
    tenant = current_tenant()
    form = AssignForm(formdata=formdata) if formdata is not None else AssignForm()
    return form.setup(tenant.id, external=assignments.external_allowed(tenant.id))


def _assign_dialog(user, form, status=200, error=None):
    form.fresh_token()
    options = assignments.publication_options(current_tenant().id, form.q.data or "")
    dialog = {"form": form, "error": error, "options": options}
    return _page(user, "dashboard/user_plans/_assign_dialog.html", status, assign=dialog)


@bp.route("/users/<uuid:user_uuid>/plans/assign", methods=["GET", "POST"], defaults=AREA)
@admin_required
def assign_plan(slug, user_uuid):
    user = _user(user_uuid)
    if request.method == "GET":  # also the re-render when the plan select changes
        return _assign_dialog(user, _assign_form(request.args if request.args else None))
    form = _assign_form()
    if not form.validate_on_submit():
        return _assign_dialog(user, form, 422)
    if not claim(form.request_token.data):
        return _assign_dialog(user, form, 422, EXPIRED)
    try:
        order = submit(form, current_tenant(), user.id, actor())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _assign_dialog(user, form, 422, field_error(form, exc))
    message = "Sale recorded." if order.type == "report" else "Plan assigned."
    return toast(hx_location(_plans_url(user)), message, "success")


@bp.get("/users/<uuid:user_uuid>/plans/publication-options", defaults=AREA)
@admin_required
def publication_options(slug, user_uuid):
    _user(user_uuid)
    q = request.args.get("q", "")
    options = assignments.publication_options(current_tenant().id, q)
    html = render_template(
        "dashboard/user_plans/_publication_options.html", options=options, chosen=None, searched=q
    )
    return varies(make_response(html))


def _line(user, line_uuid):
    try:
        return assignments.find_line(current_tenant().id, user.id, line_uuid)
    except NotFound:
        abort(404)


def _cancel_dialog(user, line, form, status=200, error=None):
    form.fresh_token()
    dialog = {"form": form, "line": line, "error": error}
    return _page(user, "dashboard/user_plans/_cancel_dialog.html", status, cancel=dialog)


@bp.route(
    "/users/<uuid:user_uuid>/plans/<uuid:line_uuid>/cancel",
    methods=["GET", "POST"],
    defaults=AREA,
)
@admin_required
def cancel_user_plan(slug, user_uuid, line_uuid):
    user = _user(user_uuid)
    line, form = _line(user, line_uuid), CancelForm()
    if request.method == "GET":
        return _cancel_dialog(user, line, form)
    if not form.validate_on_submit():
        return _cancel_dialog(user, line, form, 422)
    if not claim(form.request_token.data):
        return _cancel_dialog(user, line, form, 422, EXPIRED)
    try:
        assignments.cancel_grant(line, actor(), form.reason.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _cancel_dialog(user, _line(user, line_uuid), form, 422, field_error(form, exc))
    return toast(hx_location(_plans_url(user)), "Line cancelled; access ended.", "success")
