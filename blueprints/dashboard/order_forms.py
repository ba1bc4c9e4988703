"""Query-string parsers of the orders, subscriptions and sales-report pages, and the mark-reviewed
form. A value outside a list is a 400 (spec 30 §13), never a silently ignored filter."""

from __future__ import annotations

import uuid

from flask import abort
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.models.commerce_enums import GatewayType, OrderStatus, OrderType
from services.commerce_reports import PERIODS
from services.errors import ValidationError
from services.order_queries import SANDBOX_MODES, OrderFilters
from services.subscription_queries import GATEWAYS, INTERVALS, STATUS_LABELS, SubscriptionFilters

PAGE_ARGS = ("after", "before")
GATEWAY_LABELS = {
    "totalDiscountCoupon": "100% coupon",
    "mercadopago": "MercadoPago",
    "payu": "PayU",
}
SANDBOX_LABELS = {"exclude": "Hide sandbox", "include": "Include sandbox", "only": "Sandbox only"}
INTERVAL_LABELS = {"every_n_months": "Every N months"}
SANDBOX_CHOICES = [SelectChoice(mode, SANDBOX_LABELS[mode]) for mode in SANDBOX_MODES]


def options(values, labels: dict | None = None, blank: str | None = None) -> list[SelectChoice]:
    labels = labels or {}
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [
        SelectChoice(v, labels.get(v, v.replace("_", " ").capitalize())) for v in values
    ]


class _QueryForm(FlaskForm):
    class Meta:
        csrf = False

    def parsed(self):
        """The typed filters, or abort(400) for a value outside its list or a bad date."""
        if not self.validate():
            abort(400)
        try:
            return self.build()
        except ValidationError:
            abort(400)

    def build(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError


class OrderFilterForm(_QueryForm):
    q = StringField("Search", validators=[Optional(), Length(max=200)])
    status = SelectMultipleField("Status", choices=options([s.value for s in OrderStatus]))
    type = SelectField(
        "Type", choices=options([t.value for t in OrderType], blank="Any type"), default=""
    )
    gateway_type = SelectField(
        "Source",
        choices=options([g.value for g in GatewayType], GATEWAY_LABELS, blank="Any source"),
        default="",
    )
    created_from = DateField("From", validators=[Optional()])
    created_to = DateField("To", validators=[Optional()])
    needs_review = BooleanField("Needs review")
    stale_pending = BooleanField("Stale pending")
    sandbox = SelectField("Sandbox", choices=SANDBOX_CHOICES, default="exclude")
    sort = SelectField(
        "Sort",
        choices=options(("created", "amount"), {"created": "Newest", "amount": "Amount"}),
        default="created",
    )

    def build(self) -> OrderFilters:
        return OrderFilters(
            statuses=tuple(self.status.data or ()),
            type=self.type.data or None,
            gateway_type=self.gateway_type.data or None,
            created_from=self.created_from.data,
            created_to=self.created_to.data,
            needs_review=bool(self.needs_review.data),
            stale_pending=bool(self.stale_pending.data),
            sandbox=self.sandbox.data or "exclude",
            q=(self.q.data or "").strip(),
            sort=self.sort.data or "created",
        )


class SubscriptionFilterForm(_QueryForm):
    q = StringField("Email", validators=[Optional(), Length(max=200)])
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")]
        + [SelectChoice(k, v) for k, v in STATUS_LABELS.items()],
        default="",
    )
    plan = SelectField("Plan", choices=[SelectChoice("", "Any plan")], default="")
    interval = SelectField(
        "Interval", choices=options(INTERVALS, INTERVAL_LABELS, "Any interval"), default=""
    )
    gateway = SelectField(
        "Gateway",
        choices=options([g.value for g in GATEWAYS], GATEWAY_LABELS, "Any gateway"),
        default="",
    )
    start_from = DateField("Started from", validators=[Optional()])
    start_to = DateField("Started to", validators=[Optional()])
    sandbox = SelectField("Sandbox", choices=SANDBOX_CHOICES, default="exclude")

    def with_plans(self, plans: list[tuple[str, str]]) -> SubscriptionFilterForm:
        self.plan.choices = [SelectChoice("", "Any plan")] + [SelectChoice(u, n) for u, n in plans]
        return self

    def build(self) -> SubscriptionFilters:
        return SubscriptionFilters(
            status=self.status.data or None,
            plan=uuid.UUID(self.plan.data) if self.plan.data else None,
            interval=self.interval.data or None,
            gateway=self.gateway.data or None,
            start_from=self.start_from.data,
            start_to=self.start_to.data,
            q=(self.q.data or "").strip(),
            sandbox=self.sandbox.data or "exclude",
        )


class ReportForm(_QueryForm):
    period = SelectField("Period", choices=options(PERIODS), default="month")
    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional()])

    def build(self) -> dict:
        return {"period": self.period.data, "start": self.start.data, "end": self.end.data}


class ReviewForm(FlaskForm):
    """Mark reviewed: carries the reason the admin saw, so a newer one is not cleared unseen."""

    reason = HiddenField()


def list_args(args) -> dict[str, list[str]]:
    """The query string without the cursor and empty values, for filter-preserving links."""
    kept = {key: [v for v in args.getlist(key) if v] for key in args if key not in PAGE_ARGS}
    return {key: values for key, values in kept.items() if values}
