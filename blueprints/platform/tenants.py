"""Platform pages for tenants: list, create, detail, edit, suspend, domains, cache, activity."""

from datetime import UTC

from flask import abort, make_response, render_template, request, url_for

from app.extensions import db
from app.htmx import hx_location, is_partial, render, toast
from blueprints.access import actor, staff_required
from blueprints.platform import bp
from blueprints.platform.forms import (
    NO_PLAN,
    DomainActionForm,
    DomainForm,
    PlainForm,
    ReactivateForm,
    ReasonForm,
    TenantEditForm,
    TenantForm,
    currency_choices,
    field_error,
)
from blueprints.platform.override_forms import plan_choices
from blueprints.platform.tenant_features import plan_change_form
from services import currencies
from services.activity_queries import recent_activity
from services.errors import DomainError, NotFound
from services.features import definitions, tenant_view
from services.links import set_password_url
from services.tenancy import domains as domain_service
from services.tenancy import inspect
from services.tenancy import tenants as tenant_service


def _tenant(uuid):
    try:
        return tenant_service.get_by_uuid(uuid)
    except NotFound:
        abort(404)


def _aware(value):
    return value.replace(tzinfo=UTC) if value is not None else None


@bp.get("/tenants")
@staff_required
def tenants():
    args = request.args
    result = tenant_service.list_tenants(
        args.get("q", ""), args.get("status", ""), args.get("page", 1, type=int)
    )
    return render("platform/tenants.html", "platform/_tenant_rows.html", result=result, args=args)


@bp.get("/tenants/slug-check")
@staff_required
def slug_check():
    """The live availability fragment under the slug field of the new-tenant form."""
    slug = request.args.get("slug", "")
    problem = tenant_service.slug_availability(slug) if slug else None
    return render_template("platform/_slug_check.html", slug=slug, problem=problem)


@bp.route("/tenants/new", methods=["GET", "POST"])
@staff_required
def new_tenant():
    form = TenantForm()
    form.default_currency.choices = currency_choices(currencies.pricing_choices())
    form.platform_plan.choices = plan_choices(tenant_view.plan_choices(None))
    error, created = None, None
    if form.validate_on_submit():
        try:
            chosen = form.platform_plan.data
            plan = definitions.find_plan(chosen) if chosen != NO_PLAN else None
            tenant, admin = tenant_service.create_tenant(
                actor(),
                slug=form.slug.data,
                name=form.name.data,
                status=form.status.data,
                trial_days=form.trial_days.data or 14,
                timezone=form.timezone.data,
                locale=form.locale.data,
                currency=form.default_currency.data,
                admin_email=form.admin_email.data or None,
                admin_name=form.admin_name.data or None,
                platform_plan_id=plan.id if plan else None,
            )
            link = set_password_url(tenant, admin) if admin else None
            db.session.commit()
            created = {"tenant": tenant, "admin": admin, "link": link}
            return render_template("platform/tenant_created.html", **created)
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
    status = 422 if request.method == "POST" else 200
    return render(
        "platform/tenant_new.html", "platform/_tenant_form.html", status, form=form, error=error
    )


@bp.get("/tenants/<uuid>")
@staff_required
def tenant_detail(uuid):
    tenant = _tenant(uuid)
    return render_template(
        "platform/tenant_detail.html",
        t=tenant,
        domains=domain_service.list_domains(tenant),
        panel=inspect.cache_panel(tenant),
        people=tenant_service.people(tenant),
        activity=recent_activity(tenant.id),
        suspend_form=ReasonForm(prefix="suspend"),
        reactivate_form=ReactivateForm(prefix="reactivate"),
        domain_form=DomainForm(),
        action_form=DomainActionForm(),
        plain_form=PlainForm(),
    )


@bp.route("/tenants/<uuid>/edit", methods=["GET", "POST"])
@staff_required
def edit_tenant(uuid):
    tenant = _tenant(uuid)
    form = TenantEditForm(obj=tenant)
    form.default_currency.choices = currency_choices(currencies.pricing_choices())
    error = None
    if form.validate_on_submit():
        try:
            tenant_service.update_tenant(
                actor(),
                tenant,
                name=form.name.data,
                timezone=form.timezone.data,
                locale=form.locale.data,
                default_currency=form.default_currency.data,
                trial_ends_at=_aware(form.trial_ends_at.data) or tenant.trial_ends_at,
            )
            db.session.commit()
            return hx_location(url_for("platform.tenant_detail", uuid=tenant.uuid))
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
    status = 422 if request.method == "POST" else 200
    return make_response(
        render_template(
            "platform/tenant_edit.html",
            t=tenant,
            form=form,
            error=error,
            plan_form=plan_change_form(tenant),
        ),
        status,
    )


@bp.post("/tenants/<uuid>/suspend")
@staff_required
def suspend(uuid):
    tenant = _tenant(uuid)
    form = ReasonForm(prefix="suspend")
    return _status_change(
        tenant,
        form,
        lambda: tenant_service.suspend_tenant(actor(), tenant, form.reason.data),
        "Tenant suspended.",
    )


@bp.post("/tenants/<uuid>/reactivate")
@staff_required
def reactivate(uuid):
    tenant = _tenant(uuid)
    form = ReactivateForm(prefix="reactivate")
    return _status_change(
        tenant,
        form,
        lambda: tenant_service.reactivate_tenant(
            actor(), tenant, form.reason.data, form.status.data, _aware(form.trial_ends_at.data)
        ),
        "Tenant reactivated.",
    )


def _status_change(tenant, form, change, message):
    error = "Give a reason of 5 to 500 characters."
    if form.validate_on_submit():
        try:
            change()
            db.session.commit()
            return toast(
                hx_location(url_for("platform.tenant_detail", uuid=tenant.uuid)), message, "success"
            )
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    response = make_response(render_template("platform/_status_error.html", error=error), 422)
    return response


@bp.route("/tenants/<uuid>/domains", methods=["GET", "POST"])
@staff_required
def domains(uuid):
    tenant = _tenant(uuid)
    form, action_form = DomainForm(), DomainActionForm()
    error, status = None, 200
    if request.method == "POST":
        op = request.args.get("op", "add")
        try:
            if op == "add" and form.validate_on_submit():
                domain_service.add_domain(actor(), tenant, form.host.data)
            elif op in ("primary", "remove") and action_form.validate_on_submit():
                if domain_service.tenant_of_host(action_form.host.data).id != tenant.id:
                    abort(404)
                change = (
                    domain_service.set_primary if op == "primary" else domain_service.remove_domain
                )
                change(actor(), action_form.host.data)
            else:
                raise DomainError("Enter a host.", field="host")
            db.session.commit()
            form = DomainForm(formdata=None)
        except DomainError as exc:
            db.session.rollback()
            error, status = exc.message, 422
    context = dict(
        t=tenant,
        domains=domain_service.list_domains(tenant),
        domain_form=form,
        action_form=action_form,
        error=error,
    )
    response = make_response(render_template("platform/_domains.html", **context), status)
    if request.method == "POST" and status == 200:
        response.headers["HX-Trigger"] = "tenancy-cache-changed"
    if not is_partial():
        return make_response(render_template("platform/tenant_domains.html", **context), status)
    return response


@bp.route("/tenants/<uuid>/cache", methods=["GET", "POST"])
@staff_required
def cache_panel(uuid):
    tenant = _tenant(uuid)
    form = PlainForm()
    if request.method == "POST" and form.validate_on_submit():
        tenant_service.purge_cache(actor(), tenant)
        db.session.commit()
        db.session.refresh(tenant)
    return render(
        "platform/tenant_cache.html",
        "platform/_cache.html",
        t=tenant,
        panel=inspect.cache_panel(tenant),
        plain_form=form,
    )


@bp.get("/tenants/<uuid>/activity")
@staff_required
def tenant_activity(uuid):
    tenant = _tenant(uuid)
    result = recent_activity(tenant.id, request.args.get("page", 1, type=int))
    return render(
        "platform/tenant_activity.html", "platform/_activity_rows.html", t=tenant, result=result
    )


@bp.get("/tenants/resolve")
@staff_required
def resolve():
    host = request.args.get("host", "")
    report = inspect.inspect_host(host) if host else None
    return render_template("platform/resolve.html", report=report, host=host)
