"""Forms of the plans page: a plan with its type-dependent terms, one price per enabled
currency and its collections; built per tenant from the plans service."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.models.commerce_enums import AccessScope, PlanType
from services import currencies, plans
from services import plan_rules as rules
from services.money import to_major

TYPE_LABELS = {
    PlanType.RECURRING: "Recurring (renews every term)",
    PlanType.PREPAID: "Prepaid (paid once for a fixed number of months)",
    PlanType.EXTERNAL: "External (sold outside this store)",
}
INTERVALS = [SelectChoice("month", "Month"), SelectChoice("year", "Year")]
SCOPES = [
    SelectChoice(AccessScope.ALL.value, "The whole catalogue"),
    SelectChoice(AccessScope.COLLECTIONS.value, "Only the chosen collections"),
]
# What the form always sends; the billing terms (rules.LOCKED_FIELDS) only while editable.
OPEN_FIELDS = (
    "name",
    "details",
    "free_trial_days",
    "private",
    "recommended",
    "access_scope",
    "collection_ids",
    "external_customer",
)


class PlanForm(FlaskForm):
    """A plan; the service checks every rule, so most fields only parse here."""

    name = StringField("Name", validators=[DataRequired(), Length(max=rules.NAME_MAX)])
    type = SelectField("Type", choices=[], validate_choice=False)
    interval = SelectField("Billed every", choices=INTERVALS, validate_choice=False)
    interval_count = IntegerField("Number of months or years per term", validators=[Optional()])
    duration_months = IntegerField("Duration (months)", validators=[Optional()])
    free_trial_days = IntegerField("Free trial (days)", validators=[Optional()])
    external_customer = StringField(
        "Customer or institution", validators=[Optional(), Length(max=rules.CUSTOMER_MAX)]
    )
    physical = BooleanField("Ships physical goods")
    private = BooleanField("Private: not listed in the store; sold by direct link or assigned")
    recommended = BooleanField("Recommended: highlighted in the store")
    access_scope = SelectField("Gives access to", choices=SCOPES, validate_choice=False)
    collection_ids = SelectMultipleField(
        "Collections", choices=[], coerce=int, validate_choice=False
    )
    details = TextAreaField("Details", validators=[Optional(), Length(max=4 * rules.DETAILS_MAX)])

    currencies: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return self.type.data or PlanType.RECURRING.value

    def price_fields(self):
        return [self[rules.price_field(code)] for code in self.currencies]

    def with_term_defaults(self) -> PlanForm:
        """Fill blank terms of the chosen type with the usual values (a new form, a type swap)."""
        if self.kind == PlanType.RECURRING:
            self.interval.data = self.interval.data or "month"
            if self.interval_count.data is None:
                self.interval_count.data = 1
            if self.free_trial_days.data is None:
                self.free_trial_days.data = 0
        elif self.duration_months.data is None:
            self.duration_months.data = 12
        return self

    def values(self, locked: bool) -> dict:
        """Keyword arguments of plans.create_plan/update_plan; the locked billing terms of a
        plan with orders are left out, so they keep their stored values."""
        data = {name: self[name].data for name in OPEN_FIELDS}
        data["prices"] = {code: self[rules.price_field(code)].data for code in self.currencies}
        if not locked:
            data.update({name: self[name].data for name in rules.LOCKED_FIELDS})
        return data


def _form_class(codes: list[str]) -> type[PlanForm]:
    """PlanForm plus one amount per enabled currency, typed in major units ("12.50")."""
    fields = {
        rules.price_field(code): StringField(
            f"Price ({code})", validators=[Optional(), Length(max=24)]
        )
        for code in codes
    }
    return type("TenantPlanForm", (PlanForm,), {**fields, "currencies": tuple(codes)})


def initial(tenant_id: int, plan) -> dict:
    """The stored plan as form data, prices in major units."""
    data = {name: getattr(plan, name) for name in rules.COLUMNS}
    data["collection_ids"] = plans.collection_ids(tenant_id, plan.id)
    exponents = rules.exponents(row.currency for row in plan.prices)
    for row in plan.prices:
        if row.currency in exponents:
            amount = to_major(row.amount_minor, exponents[row.currency])
            data[rules.price_field(row.currency)] = str(amount)
    return data


def build(tenant_id: int, *, can_external: bool, plan=None, **kwargs) -> PlanForm:
    """The tenant's plan form (its currencies, collections and the types it may use);
    kwargs go to the form (formdata, data, meta)."""
    form = _form_class(currencies.tenant_currencies(tenant_id))(**kwargs)
    offered = [PlanType.RECURRING, PlanType.PREPAID]
    if can_external or (plan is not None and plan.is_external):
        offered.append(PlanType.EXTERNAL)
    form.type.choices = [SelectChoice(kind.value, TYPE_LABELS[kind]) for kind in offered]
    form.collection_ids.choices = [
        SelectChoice(term.id, term.name) for term in plans.collection_terms(tenant_id)
    ]
    return form
