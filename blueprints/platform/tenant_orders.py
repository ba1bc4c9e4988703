"""Platform staff create orders inside a tenant (spec 30 §8.4): an `internal` grant of any plan
or publication, or an `internal_report` recorded sale of an external plan, whatever the
tenant's features. The work runs in the tenant's scope; activity rows carry the staff actor."""

from types import SimpleNamespace

from flask import abort, make_response, render_template, request, url_for

from app.extensions import db
from app.htmx import hx_location, render, toast, varies
from blueprints.access import actor, staff_required
from blueprints.dashboard.publications.forms import field_error
from blueprints.dashboard.user_plan_forms import StaffOrderForm, claim, submit
from blueprints.platform import bp
from services import assignments
from services.errors import DomainError, NotFound
from services.tenancy import tenants as tenant_service
from services.tenancy.context import tenant_scope

PAGE = "platform/tenant_orders/new.html"
FORM = "platform/tenant_orders/_form.html"
EXPIRED = "This form was already sent or has expired; it is shown again with a new one."


def _tenant(tenant_uuid):
    try:
        return tenant_service.get_by_uuid(tenant_uuid)
    except NotFound:
        abort(404)


def _form(tenant_id: int) -> StaffOrderForm:
    form = StaffOrderForm(formdata=request.args) if request.args else StaffOrderForm()
    return form.setup(tenant_id, external=True)


def _create(form, scope, who):
    """The order for the reader the form names, committed; a DomainError leaves nothing."""
    user = assignments.user_by_email(scope.id, form.email.data)
    order = submit(form, scope, user.id, who, staff=True)
    db.session.commit()
    return order


@bp.route("/tenants/<uuid:tenant_uuid>/orders/new", methods=["GET", "POST"])
@staff_required
def new_tenant_order(tenant_uuid):
    row, who = _tenant(tenant_uuid), actor()
    # Plain values: the row may be detached by the scope switch and expired by a rollback.
    tenant = SimpleNamespace(id=row.id, uuid=row.uuid, name=row.name)
    error = None
    with tenant_scope(tenant.id) as scope:
        form = _form(tenant.id)
        if request.method == "POST" and form.validate_on_submit():
            if not claim(form.request_token.data):
                error = EXPIRED
            else:
                try:
                    order = _create(form, scope, who)
                    message = f"Order {order.uuid} created ({order.type})."
                    done = url_for("platform.tenant_detail", uuid=tenant.uuid)
                    return toast(hx_location(done), message, "success")
                except DomainError as exc:
                    db.session.rollback()
                    error = field_error(form, exc)
        status = 422 if request.method == "POST" else 200
        form.fresh_token()
        options = assignments.publication_options(tenant.id, form.q.data or "")
        return render(PAGE, FORM, status, t=tenant, form=form, error=error, options=options)


@bp.get("/tenants/<uuid:tenant_uuid>/orders/publication-options")
@staff_required
def tenant_order_publication_options(tenant_uuid):
    tenant, q = _tenant(tenant_uuid), request.args.get("q", "")
    with tenant_scope(tenant.id):
        options = assignments.publication_options(tenant.id, q)
    html = render_template(
        "dashboard/user_plans/_publication_options.html", options=options, chosen=None, searched=q
    )
    return varies(make_response(html))
