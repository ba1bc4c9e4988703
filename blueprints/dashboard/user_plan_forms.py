"""Forms of the user-plans, bulk-assignment and staff order pages, the one-time request tokens
that stop a double submit, and the step from a filled assignment form to its service call."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.cache import CacheError
from app.extensions import cache
from services import assignments, bulk_csv, currencies, plan_rules
from services.errors import ValidationError
from services.money import to_major, to_minor

TOKEN_SECONDS = 24 * 3600
PUBLICATION = ""  # the plan select's value for "a single publication instead"


def new_token() -> str:
    return secrets.token_urlsafe(18)


def claim(token: str | None) -> bool:
    """True the first time a form's token is submitted, False on a repeat. Without the cache
    the double-submit guard is off rather than every form refused."""
    if not token or len(token) > 64:
        return False
    try:
        return bool(cache.add(f"request-token:{token}", "1", TOKEN_SECONDS))
    except CacheError:
        return True


class Tokened(FlaskForm):
    request_token = HiddenField()

    def fresh_token(self) -> None:
        """Every rendering carries an unused token (a refused submit gets a new one too)."""
        self.request_token.data = new_token()


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Email starts with", validators=[Optional(), Length(max=254)])


class AssignForm(Tokened):
    plan = SelectField("Plan", choices=[], validate_choice=False)
    q = StringField("Find a publication", validators=[Optional(), Length(max=200)])
    publication = StringField("Publication", validators=[Optional(), Length(max=64)])
    expires_on = DateField("End date", validators=[Optional()])
    note = TextAreaField("Note", validators=[Optional(), Length(max=assignments.NOTE_MAX)])
    currency = SelectField("Currency", choices=[], validate_choice=False)
    price = StringField("Price paid", validators=[Optional(), Length(max=24)])
    external_reference = StringField("Reference", validators=[Optional(), Length(max=64)])

    selected = None  # the chosen Plan, when it is one of the choices

    def setup(self, tenant_id: int, *, external: bool) -> AssignForm:
        """Choices from the store: its live plans (external ones only when allowed) and its
        currencies; the price defaults to the chosen external plan's price."""
        self.plans = assignments.assignable_plans(tenant_id, external=external)
        self.plan.choices = [SelectChoice(PUBLICATION, "— A single publication —")] + [
            SelectChoice(str(p.uuid), f"{p.name} ({plan_rules.billing_label(p)})")
            for p in self.plans
        ]
        self.selected = next((p for p in self.plans if str(p.uuid) == self.plan.data), None)
        codes = currencies.tenant_currencies(tenant_id)
        self.currency.choices = [SelectChoice(code, code) for code in codes]
        if self.currency.data not in codes and codes:
            self.currency.data = codes[0]
        if self.is_sale and not self.price.data:
            prices = {p.currency: p.amount_minor for p in self.selected.prices}
            code = self.currency.data
            if code in prices:
                exponent = plan_rules.exponents([code]).get(code, 2)
                self.price.data = str(to_major(prices[code], exponent))
        return self

    @property
    def is_sale(self) -> bool:
        return self.selected is not None and self.selected.is_external

    def price_minor(self) -> int:
        code = self.currency.data or ""
        exponent = plan_rules.exponents([code]).get(code)
        if exponent is None:
            raise ValidationError("Choose one of your store's currencies.", field="currency")
        return to_minor(self.price.data, exponent, field="price")


class StaffOrderForm(AssignForm):
    """Staff name the reader by email; an external plan makes it a recorded sale."""

    email = StringField("Reader's email", validators=[DataRequired(), Length(max=254)])


def submit(form: AssignForm, tenant, user_id: int, who, *, staff: bool = False):
    """The filled form as one service call: a recorded sale for an external plan, else a
    grant. The end date is the end of that day in the store's time zone."""
    if form.is_sale:
        return assignments.record_external(
            tenant.id,
            user_id,
            who,
            form.selected.uuid,
            form.currency.data,
            form.price_minor(),
            form.external_reference.data,
            staff=staff,
        )
    day = form.expires_on.data
    return assignments.assign(
        tenant.id,
        user_id,
        who,
        plan_uuid=form.plan.data or None,
        publication_uuid=form.publication.data or None,
        expires_at=bulk_csv.end_of_day(day, tenant.tzinfo) if day else None,
        note=form.note.data,
        staff=staff,
    )


class CancelForm(Tokened):
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=500)])


class BulkUploadForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])
    notify_new_users = BooleanField("Send new readers a welcome email")
