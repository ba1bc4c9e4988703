"""A tenant's features tab: overrides, explain, and the plan-change preview (spec 20 §11.4)."""

from datetime import UTC

from flask import abort, current_app, request, url_for

from app.extensions import db
from app.htmx import hx_location, is_partial, render, toast
from blueprints.access import actor, staff_required
from blueprints.platform import bp
from blueprints.platform.forms import NO_PLAN, PlainForm, field_error
from blueprints.platform.override_forms import (
    OverrideForm,
    PlanChangeForm,
    RemoveOverrideForm,
    plan_choices,
)
from services import features
from services.errors import DomainError, NotFound
from services.features import crawler, definitions, explanation, grants, overrides, tenant_view
from services.tenancy import tenants as tenant_service

PAGE = "platform/tenant_features.html"
ROWS = "platform/_tenant_feature_rows.html"
DIALOG = "platform/_override_dialog.html"
EXPLAIN = "platform/_explain.html"
PREVIEW = "platform/_plan_preview.html"
PLAN = "platform/_plan_change.html"


def _found(load, key):
    try:
        return load(key)
    except NotFound:
        abort(404)


def _load(uuid, slug=None):
    tenant = _found(tenant_service.get_by_uuid, uuid)
    return (tenant, _found(definitions.find_feature, slug)) if slug else tenant


def _plan(key: str):
    """The plan a select value names; None for "no platform plan"; NotFound when unknown."""
    return None if key == NO_PLAN else definitions.find_plan(key)


def plan_change_form(tenant, selected: str | None = None) -> PlanChangeForm:
    """The platform-plan select of the features tab and the tenant edit page."""
    plans = tenant_view.plan_choices(tenant)
    form = PlanChangeForm()
    form.plan.choices = plan_choices(plans)
    current = next((p for p in plans if p.id == tenant.platform_plan_id), None)
    form.current = str(current.uuid) if current else NO_PLAN
    form.current_name = current.name if current else "no platform plan"
    if request.method == "GET":
        form.plan.data = selected or form.current
    return form


def _respond(tenant, fragment: str, status: int = 200, **context):
    """The tab page (with a dialog, an explanation or a preview open), or only `fragment`."""
    partial = is_partial()
    if fragment == ROWS or not partial:
        secrets = crawler.parse_secrets(current_app.config.get("CRAWLER_BYPASS_SECRET"))
        context.setdefault("view", tenant_view.tab(tenant, secrets))
    if not partial:
        context.setdefault("plan_form", plan_change_form(tenant, context.get("selected")))
    return render(PAGE, fragment, status, t=tenant, plain_form=PlainForm(), **context)


def _saved(tenant, message: str):
    """After a change: the refreshed table (which also closes the dialog) and a toast."""
    if not is_partial():
        return hx_location(url_for("platform.tenant_features", uuid=tenant.uuid))
    response = _respond(tenant, ROWS)
    response.headers.update({"HX-Retarget": "#tenant-features", "HX-Reswap": "outerHTML"})
    return toast(response, message, "success")


@bp.get("/tenants/<uuid>/features")
@staff_required
def tenant_features(uuid):
    return _respond(_load(uuid), ROWS)


@bp.route("/tenants/<uuid>/features/<slug>/override", methods=["GET", "POST"])
@staff_required
def set_override(uuid, slug):
    tenant, feature = _load(uuid, slug)
    row, error = tenant_view.row(tenant, feature), None
    current = row.override
    keep = ("value", "reason", "expires_at")
    prefill = {key: getattr(current, key) for key in keep} if current else {}
    form = OverrideForm(data=prefill if request.method == "GET" else None)
    if form.validate_on_submit():
        expires_at = form.expires_at.data.replace(tzinfo=UTC) if form.expires_at.data else None
        try:
            value = tenant_view.check_override_value(feature, form.value.data)
            overrides.set_override(actor(), tenant, feature, value, form.reason.data, expires_at)
            db.session.commit()
            return _saved(tenant, f"Override of {feature.name} saved.")
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc, banner=False)
    status = 422 if request.method == "POST" else 200
    return _respond(tenant, DIALOG, status, dialog="set", row=row, form=form, error=error)


@bp.route("/tenants/<uuid>/features/<slug>/remove-override", methods=["GET", "POST"])
@staff_required
def remove_override(uuid, slug):
    tenant, feature = _load(uuid, slug)
    row, form, error = tenant_view.row(tenant, feature), RemoveOverrideForm(), None
    if row.override is None:
        abort(404)
    if form.validate_on_submit():
        try:
            overrides.remove_override(actor(), tenant, feature, form.reason.data)
            db.session.commit()
            return _saved(tenant, f"Override of {feature.name} removed.")
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc, banner=False)
    status = 422 if request.method == "POST" else 200
    return _respond(tenant, DIALOG, status, dialog="remove", row=row, form=form, error=error)


@bp.get("/tenants/<uuid>/features/<slug>/explain")
@staff_required
def explain_feature(uuid, slug):
    tenant, feature = _load(uuid, slug)
    return _respond(tenant, EXPLAIN, explained=features.explain(tenant.id, feature.slug))


@bp.post("/tenants/<uuid>/features/<slug>/purge")
@staff_required
def purge_feature_maps(uuid, slug):
    """The "cache stale" button: restamp this tenant's maps everywhere, then explain again."""
    tenant, feature = _load(uuid, slug)
    explanation.purge_maps(actor(), tenant)
    db.session.commit()
    if not is_partial():
        return hx_location(url_for("platform.explain_feature", uuid=tenant.uuid, slug=slug))
    explained = features.explain(tenant.id, feature.slug)
    return toast(_respond(tenant, EXPLAIN, explained=explained), "Feature cache purged.", "success")


@bp.get("/tenants/<uuid>/plan-preview")
@staff_required
def plan_preview(uuid):
    tenant, key = _load(uuid), request.args.get("plan", "")
    preview = tenant_view.plan_preview(tenant, _found(_plan, key))
    return _respond(tenant, PREVIEW, preview=preview, selected=key)


@bp.post("/tenants/<uuid>/plan")
@staff_required
def change_plan(uuid):
    tenant = _load(uuid)
    form, error = plan_change_form(tenant), None
    if form.validate_on_submit():
        try:
            plan = _plan(form.plan.data)
            grants.assign_plan(actor(), tenant, plan)
            db.session.commit()
            message = f"Platform plan changed to {plan.name if plan else 'none'}."
            target = url_for("platform.tenant_features", uuid=tenant.uuid)
            return toast(hx_location(target), message, "success")
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc, banner=False)
    return _respond(tenant, PLAN, 422, plan_form=form, plan_error=error)
