"""The orders area of the control panel (spec 30 §10.1, §10.2, §10.4): the orders list and its
CSV export, one order with its ledger, "mark reviewed", and the sales report."""

from flask import Response, abort, flash, request, stream_with_context, url_for

from app.extensions import db
from app.htmx import hx_location, render
from blueprints.access import actor, admin_required
from blueprints.areas import DASHBOARD_AREAS
from blueprints.dashboard import bp
from blueprints.dashboard.order_forms import (
    OrderFilterForm,
    ReportForm,
    ReviewForm,
    list_args,
)
from services import commerce_reports, order_export, order_queries, order_review
from services.errors import Conflict, NotFound, ValidationError
from services.storefront.money import currency_exponents
from services.tenancy.context import current_tenant

AREA = {"slug": "orders"}
PAGE_ARGS = ("after", "before")


def money_context() -> dict:
    """`money(amount_minor, currency)` for templates: "USD 12.50"."""
    exponents = currency_exponents()

    def money(amount_minor, currency) -> str:
        return f"{currency} {order_export.major(amount_minor or 0, exponents.get(currency, 2))}"

    return {"money": money, "areas": DASHBOARD_AREAS}


def cursors() -> dict:
    return {name: request.args.get(name) or None for name in PAGE_ARGS}


def csv_response(chunks, filename: str) -> Response:
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/orders", defaults=AREA)
@admin_required
def orders(slug):
    form = OrderFilterForm(request.args)
    filters = form.parsed()
    try:
        result = order_queries.list_orders(current_tenant().id, filters, **cursors())
    except ValidationError:
        abort(400)
    return render(
        "dashboard/orders/index.html",
        "dashboard/orders/_table.html",
        form=form,
        result=result,
        args=list_args(request.args),
        **money_context(),
    )


@bp.get("/orders/export.csv", defaults=AREA)
@admin_required
def export_orders(slug):
    tenant_id = current_tenant().id
    filters = OrderFilterForm(request.args).parsed()
    order_export.record_export(tenant_id, filters, actor())
    db.session.commit()
    chunks = stream_with_context(order_export.export_csv(tenant_id, filters))
    return csv_response(chunks, "orders.csv")


@bp.get("/orders/<uuid:order_uuid>", defaults=AREA)
@admin_required
def order(slug, order_uuid):
    try:
        detail = order_review.order_detail(current_tenant().id, order_uuid)
    except NotFound:
        abort(404)
    return render(
        "dashboard/orders/detail.html",
        "dashboard/orders/_detail.html",
        detail=detail,
        activity=order_review.order_activity(current_tenant().id, detail.order),
        review_form=ReviewForm(reason=detail.order.review_reason),
        **money_context(),
    )


@bp.get("/orders/<uuid:order_uuid>/activity", defaults=AREA)
@admin_required
def order_activity(slug, order_uuid):
    tenant_id = current_tenant().id
    try:
        found = order_queries.find_order(tenant_id, order_uuid)
    except NotFound:
        abort(404)
    page = order_review.order_activity(tenant_id, found, request.args.get("page", 1, type=int))
    return render(
        "dashboard/orders/activity.html",
        "dashboard/orders/_activity.html",
        order=found,
        activity=page,
        areas=DASHBOARD_AREAS,
    )


@bp.post("/orders/<uuid:order_uuid>/reviewed", defaults=AREA)
@admin_required
def mark_reviewed(slug, order_uuid):
    try:
        found = order_queries.find_order(current_tenant().id, order_uuid)
    except NotFound:
        abort(404)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = order_review.mark_reviewed(found, actor(), form.reason.data or None)
        db.session.commit()
        flash("Marked as reviewed." if changed else "Nothing left to review.", "success")
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return hx_location(url_for("dashboard.order", order_uuid=order_uuid))


def _report(form: ReportForm):
    values = form.parsed()
    try:
        return commerce_reports.sales_report(current_tenant().id, **values)
    except ValidationError:
        abort(400)


@bp.get("/orders/sales-report", defaults=AREA)
@admin_required
def sales_report(slug):
    form = ReportForm(request.args)
    return render(
        "dashboard/orders/sales_report.html",
        "dashboard/orders/_sales_report.html",
        form=form,
        report=_report(form),
        args=list_args(request.args),
        **money_context(),
    )


@bp.get("/orders/sales-report.csv", defaults=AREA)
@admin_required
def sales_report_csv(slug):
    return csv_response(
        commerce_reports.report_csv(_report(ReportForm(request.args))), "sales-report.csv"
    )
