"""Staff pages for platform plans and the inline grants matrix (spec 20 §11.3): every staff member
reads them and edits grants; only super admins create, edit, deactivate and delete plans."""

from flask import abort, flash, make_response, redirect, render_template, request, url_for

from app.extensions import db
from app.htmx import hx_location, is_htmx, render, toast, varies
from blueprints.access import actor, staff_required, super_admin_required
from blueprints.platform import bp
from blueprints.platform.feature_forms import GrantForm, PlanForm
from blueprints.platform.forms import PlainForm, field_error
from services.errors import DomainError, NotFound
from services.features import catalog_queries, definitions, grants


def _plan(uuid):
    try:
        return definitions.find_plan(uuid)
    except NotFound:
        abort(404)


def _feature(slug):
    try:
        return definitions.find_feature(slug)
    except NotFound:
        abort(404)


def _to_list(message: str):
    return toast(hx_location(url_for("platform.plans")), message, "success")


def _form(form, plan=None, error=None):
    status = 422 if request.method == "POST" else 200
    context = dict(form=form, plan=plan, error=error)
    return render("platform/plan_form.html", "platform/_plan_form.html", status, **context)


@bp.get("/plans")
@staff_required
def plans():
    rows = catalog_queries.plan_rows()
    return render("platform/plans.html", "platform/_plan_rows.html", rows=rows, form=PlainForm())


@bp.route("/plans/new", methods=["GET", "POST"])
@super_admin_required
def new_plan():
    form, error = PlanForm(), None
    if form.validate_on_submit():
        try:
            plan = definitions.create_plan(
                actor(),
                slug=form.slug.data,
                name=form.name.data,
                description=form.description.data,
                position=form.position.data,
            )
            db.session.commit()
            return _to_list(f"Plan {plan.name} created.")
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
    return _form(form, error=error)


@bp.route("/plans/<uuid>/edit", methods=["GET", "POST"])
@super_admin_required
def edit_plan(uuid):
    plan = _plan(uuid)
    form, error = PlanForm(obj=plan), None
    if form.validate_on_submit():
        try:
            definitions.update_plan(
                actor(),
                plan,
                name=form.name.data,
                description=form.description.data,
                position=form.position.data,
                is_active=form.is_active.data,
            )
            db.session.commit()
            return _to_list(f"Plan {plan.name} saved.")
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
    return _form(form, plan, error)


@bp.post("/plans/<uuid>/deactivate")
@super_admin_required
def deactivate_plan(uuid):
    plan = _plan(uuid)  # the CSRF token was checked before the view (app/tenancy.py)
    definitions.update_plan(actor(), plan, is_active=False)
    db.session.commit()
    return _to_list(f"Plan {plan.name} deactivated; its tenants keep it.")


@bp.route("/plans/<uuid>/delete", methods=["GET", "POST"])
@super_admin_required
def delete_plan(uuid):
    plan = _plan(uuid)
    form, error = PlainForm(), None
    if form.validate_on_submit():
        try:
            definitions.delete_plan(actor(), plan)
            db.session.commit()
            return _to_list(f"Plan {plan.name} deleted.")
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    status = 422 if request.method == "POST" else 200
    tenants = catalog_queries.tenants_on_plan(plan)
    context = dict(plan=plan, tenants=tenants, form=form, error=error)
    return render("platform/plan_delete.html", "platform/_plan_delete.html", status, **context)


# -- the grants matrix ------------------------------------------------------------------------


def _cell_context(plan, feature, **extra) -> dict:
    return dict(
        plan=plan,
        feature=feature,
        value=grants.grant_value(plan, feature),
        tenants=catalog_queries.tenants_on_plan(plan),
        **extra,
    )


@bp.get("/plans/matrix")
@staff_required
def plans_matrix():
    matrix = catalog_queries.matrix()
    return render("platform/plans_matrix.html", "platform/_matrix.html", matrix=matrix)


@bp.get("/plans/<uuid>/grants/<slug>/cell")
@staff_required
def grant_cell(uuid, slug):
    """The inline editor (or, with ?view=1, the plain cell again: the editor's Cancel)."""
    plan, feature = _plan(uuid), _feature(slug)
    if request.args.get("view"):
        return varies(
            make_response(
                render_template("platform/_grant_cell.html", **_cell_context(plan, feature))
            )
        )
    context = _cell_context(plan, feature, form=GrantForm(), error=None)
    return render("platform/grant_edit.html", "platform/_grant_editor.html", **context)


@bp.route("/plans/<uuid>/grants/<slug>", methods=["PUT", "POST", "DELETE"])
@staff_required
def grant(uuid, slug):
    plan, feature = _plan(uuid), _feature(slug)
    form = GrantForm()
    removing = request.method == "DELETE" or form.remove.data
    try:
        if removing:
            grants.remove_grant(actor(), plan, feature)
        else:
            grants.set_grant(actor(), plan, feature, form.value.data)
        db.session.commit()
    except NotFound:
        db.session.rollback()  # nothing to remove: the cell already shows "—"
    except DomainError as exc:
        db.session.rollback()
        context = _cell_context(plan, feature, form=form, error=field_error(form, exc))
        return render("platform/grant_edit.html", "platform/_grant_editor.html", 422, **context)
    return _grant_saved(plan, feature)


def _grant_saved(plan, feature):
    """HTMX gets the new cell and a toast; a plain form post goes back to the matrix."""
    value = grants.grant_value(plan, feature)
    message = f"Plan {plan.name}: {feature.slug} is now {value or '— (no grant)'}."
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for("platform.plans_matrix"), 303)
    html = render_template("platform/_grant_cell.html", **_cell_context(plan, feature))
    return toast(varies(make_response(html)), message, "success")
