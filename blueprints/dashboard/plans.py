"""The store plans page (spec 30 §2.4): active and archived lists, create and edit forms whose
type-dependent fields swap over HTMX, and archive, unarchive and delete behind a confirmation."""

from flask import abort, make_response, render_template, request, url_for

from app.extensions import db
from app.htmx import hx_location, render, toast, varies
from blueprints.access import actor, admin_required
from blueprints.areas import DASHBOARD_AREAS
from blueprints.dashboard import bp, plan_forms
from blueprints.dashboard.publications.common import major
from blueprints.dashboard.publications.forms import PlainForm, field_error
from services import features
from services import plan_rules as rules
from services import plans as plan_service
from services.errors import DomainError, NotFound
from services.tenancy.context import current_tenant

AREA = {"slug": "plans"}
TABS = ("active", "archived")
FORM_PAGE = "dashboard/plans/form.html"
FORM_FRAGMENT = "dashboard/plans/_form.html"


def _can(slug: str) -> bool:
    return features.enabled(current_tenant(), slug)


def _plan_or_404(uuid):
    try:
        return plan_service.get_plan(
            current_tenant().id, uuid, include_external=_can(rules.EXTERNAL_FEATURE)
        )
    except NotFound:
        abort(404)


def _list_url(tab: str) -> str:
    return url_for("dashboard.plans", tab=tab) if tab != "active" else url_for("dashboard.plans")


def _list(tab: str, status: int = 200, errors: dict | None = None):
    rows = plan_service.plan_list(
        current_tenant().id,
        archived=tab == "archived",
        include_external=_can(rules.EXTERNAL_FEATURE),
    )
    codes = sorted({price.currency for row in rows for price in row.plan.prices})
    return render(
        "dashboard/plans/index.html",
        "dashboard/plans/_table.html",
        status,
        areas=DASHBOARD_AREAS,
        rows=rows,
        tab=tab,
        exponents=rules.exponents(codes),
        major=major,
        billing=plan_service.billing_label,
        plain=PlainForm(prefix="plan"),
        errors=errors or {},
    )


@bp.get("/plans", defaults=AREA)
@admin_required
def plans(slug):
    tab = request.args.get("tab", "active")
    if tab not in TABS:
        abort(400)
    return _list(tab)


def _form_context(form, plan) -> dict:
    tenant_id = current_tenant().id
    locked = plan is not None and plan_service.has_lines(tenant_id, plan.id)
    return {
        "areas": DASHBOARD_AREAS,
        "form": form,
        "plan": plan,
        "locked": locked,
        "show_physical": _can(rules.PHYSICAL_FEATURE) or bool(form.physical.data),
        "billing": plan_service.billing_label,
    }


def _form(plan, change, message: str):
    """GET shows the form; a POST saves through `change` (values -> plan) and goes back to the
    list, or re-renders the form with its errors (422). `refresh` (no JavaScript) only
    re-renders the form for the chosen type."""
    tenant_id, can_external = current_tenant().id, _can(rules.EXTERNAL_FEATURE)
    if request.method == "GET":
        data = plan_forms.initial(tenant_id, plan) if plan else {"type": "recurring"}
        form = plan_forms.build(tenant_id, can_external=can_external, plan=plan, data=data)
        return render(FORM_PAGE, FORM_FRAGMENT, **_form_context(form.with_term_defaults(), plan))
    form = plan_forms.build(tenant_id, can_external=can_external, plan=plan)
    context = _form_context(form, plan)
    if request.form.get("refresh"):
        return render(FORM_PAGE, FORM_FRAGMENT, **_form_context(form.with_term_defaults(), plan))
    error = None
    if form.validate_on_submit():
        try:
            change(form.values(context["locked"]))
            db.session.commit()
            return toast(hx_location(url_for("dashboard.plans")), message, "success")
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
    return render(FORM_PAGE, FORM_FRAGMENT, 422, error=error, **context)


@bp.route("/plans/new", methods=["GET", "POST"], defaults=AREA)
@admin_required
def new_plan(slug):
    def create(values):
        plan_service.create_plan(actor(), current_tenant().id, **values)

    return _form(None, create, "Plan created.")


@bp.route("/plans/<uuid:uuid>", methods=["GET", "POST"], defaults=AREA)
@admin_required
def edit_plan(slug, uuid):
    def update(values):
        plan_service.update_plan(actor(), current_tenant().id, uuid, **values)

    return _form(_plan_or_404(uuid), update, "Plan saved.")


@bp.get("/plans/type-fields", defaults=AREA)
@admin_required
def plan_type_fields(slug):
    """The fields of the type chosen in the form's select (an hx-get on change)."""
    tenant_id = current_tenant().id
    form = plan_forms.build(
        tenant_id,
        can_external=_can(rules.EXTERNAL_FEATURE),
        formdata=request.args,
        meta={"csrf": False},
    )
    if form.type.data not in {choice.value for choice in form.type.choices}:
        abort(400)
    context = _form_context(form.with_term_defaults(), None)
    html = render_template("dashboard/plans/_type_fields.html", **context)
    return varies(make_response(html))


def _act(uuid, change, message: str, tab: str, then: str):
    """Run one row action; back to the list tab `then`, or the tab `tab` with the refusal."""
    _plan_or_404(uuid)
    if not PlainForm(prefix="plan").validate_on_submit():
        return _list(tab, 422, {str(uuid): "The form expired; reload the page."})
    try:
        change(actor(), current_tenant().id, uuid)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _list(tab, exc.status, {str(uuid): exc.message})
    return toast(hx_location(_list_url(then)), message, "success")


@bp.post("/plans/<uuid:uuid>/archive", defaults=AREA)
@admin_required
def archive_plan(slug, uuid):
    return _act(uuid, plan_service.archive_plan, "Plan archived.", "active", "active")


@bp.post("/plans/<uuid:uuid>/unarchive", defaults=AREA)
@admin_required
def unarchive_plan(slug, uuid):
    return _act(uuid, plan_service.unarchive_plan, "Plan restored.", "archived", "archived")


@bp.post("/plans/<uuid:uuid>/delete", defaults=AREA)
@admin_required
def delete_plan(slug, uuid):
    tab = "archived" if _plan_or_404(uuid).archived_at else "active"
    return _act(uuid, plan_service.delete_plan, "Plan deleted.", tab, tab)
