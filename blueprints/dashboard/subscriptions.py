"""The subscriptions area of the control panel (spec 30 §10.3): recurring and prepaid lines of
gateway sales, filtered and paged, and their CSV export. Pause, cancel and refund actions
arrive with the webhooks issue."""

from flask import abort, request, stream_with_context

from app.htmx import render
from blueprints.access import admin_required
from blueprints.dashboard import bp
from blueprints.dashboard.order_forms import SubscriptionFilterForm, list_args
from blueprints.dashboard.orders import csv_response, cursors, money_context
from services import order_export, subscription_queries
from services.errors import ValidationError
from services.tenancy.context import current_tenant

AREA = {"slug": "subscriptions"}


def _form(tenant_id: int) -> SubscriptionFilterForm:
    form = SubscriptionFilterForm(request.args)
    return form.with_plans(subscription_queries.plan_choices(tenant_id))


@bp.get("/subscriptions", defaults=AREA)
@admin_required
def subscriptions(slug):
    tenant_id = current_tenant().id
    form = _form(tenant_id)
    filters = form.parsed()
    try:
        result = subscription_queries.list_subscriptions(tenant_id, filters, **cursors())
    except ValidationError:
        abort(400)
    return render(
        "dashboard/subscriptions/index.html",
        "dashboard/subscriptions/_table.html",
        form=form,
        result=result,
        args=list_args(request.args),
        **money_context(),
    )


@bp.get("/subscriptions/export.csv", defaults=AREA)
@admin_required
def export_subscriptions(slug):
    tenant_id = current_tenant().id
    filters = _form(tenant_id).parsed()
    chunks = stream_with_context(order_export.export_subscriptions_csv(tenant_id, filters))
    return csv_response(chunks, "subscriptions.csv")
