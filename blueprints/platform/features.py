"""Staff pages for the feature catalogue (spec 20 §11.2): every staff member reads it, only
super admins create, edit and delete definitions."""

from flask import abort, request, url_for

from app.extensions import db
from app.htmx import hx_location, render, toast
from blueprints.access import actor, staff_required, super_admin_required
from blueprints.platform import bp
from blueprints.platform.feature_forms import FeatureForm
from blueprints.platform.forms import PlainForm, field_error
from services.errors import DomainError, NotFound
from services.features import catalog_queries, definitions


def _feature(slug):
    try:
        return definitions.find_feature(slug)
    except NotFound:
        abort(404)


def _saved(message: str):
    return toast(hx_location(url_for("platform.features")), message, "success")


def _form(form, feature=None, error=None):
    status = 422 if request.method == "POST" else 200
    row = catalog_queries.feature_row(feature) if feature is not None else None
    context = dict(form=form, feature=feature, row=row, error=error)
    return render("platform/feature_form.html", "platform/_feature_form.html", status, **context)


@bp.get("/features")
@staff_required
def features():
    rows = catalog_queries.feature_rows()
    return render("platform/features.html", "platform/_feature_rows.html", rows=rows)


@bp.route("/features/new", methods=["GET", "POST"])
@super_admin_required
def new_feature():
    form = FeatureForm(tenant_total=catalog_queries.tenant_total())
    error = None
    if form.validate_on_submit() and form.deprecating_confirmed(was_deprecating=False):
        try:
            feature = definitions.create_feature(
                actor(), slug=form.slug.data, **form.feature_fields()
            )
            db.session.commit()
            return _saved(f"Feature {feature.slug} created.")
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
    return _form(form, error=error)


@bp.route("/features/<slug>/edit", methods=["GET", "POST"])
@super_admin_required
def edit_feature(slug):
    feature = _feature(slug)
    form = FeatureForm(obj=feature, tenant_total=catalog_queries.tenant_total())
    error = None
    if form.validate_on_submit() and form.deprecating_confirmed(feature.deprecating):
        try:
            definitions.update_feature(actor(), feature, **form.feature_fields())
            db.session.commit()
            return _saved(f"Feature {feature.slug} saved.")
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
    return _form(form, feature, error)


@bp.route("/features/<slug>/delete", methods=["GET", "POST"])
@super_admin_required
def delete_feature(slug):
    feature = _feature(slug)
    form, error = PlainForm(), None
    if form.validate_on_submit():
        try:
            definitions.delete_feature(actor(), feature)
            db.session.commit()
            return _saved(f"Feature {slug} deleted.")
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    status = 422 if request.method == "POST" else 200
    context = dict(row=catalog_queries.feature_row(feature), form=form, error=error)
    return render(
        "platform/feature_delete.html", "platform/_feature_delete.html", status, **context
    )
