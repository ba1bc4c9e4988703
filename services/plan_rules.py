"""The rules a store plan obeys (spec 30 §2.1-2.3), checked in Python with one field per error
before the database's CHECK constraints could refuse the row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import func, select

from app.extensions import db
from app.models.catalog import Taxonomy, TaxonomyTerm
from app.models.commerce import Plan
from app.models.commerce_enums import AccessScope, PlanInterval, PlanType
from app.models.gateways import Currency
from services.catalog.sanitize import clean_description, clean_line
from services.currencies import tenant_currencies
from services.errors import ValidationError
from services.money import to_minor

# Every value a caller may give; `prices` and `collection_ids` live outside the plans table.
FIELDS = (
    "name",
    "details",
    "type",
    "interval",
    "interval_count",
    "duration_months",
    "free_trial_days",
    "private",
    "physical",
    "recommended",
    "access_scope",
    "collection_ids",
    "external_customer",
    "prices",
)
COLUMNS = tuple(name for name in FIELDS if name not in ("prices", "collection_ids"))
# Fixed once a line references the plan: lines copied them when they were sold.
LOCKED_FIELDS = ("type", "interval", "interval_count", "duration_months", "physical")
LOCKED_MESSAGE = "This plan already has orders; create a new plan to change its billing."

NAME_MAX = 120
DETAILS_MAX = 10_000
CUSTOMER_MAX = 200
TRIAL_MAX = 365
DURATION_MAX = 120
MONTHS_MAX = 12
# A physical charge covers exactly 1 or 12 shipments (spec 30 §2.1 decision).
PHYSICAL_DURATIONS = (1, 12)
EXTERNAL_FEATURE = "create_external_plans"
PHYSICAL_FEATURE = "physicals_goods"


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def whole_number(value, field: str, *, required: bool) -> int | None:
    """An int from a form value or a number; empty is None (or "required")."""
    if _blank(value):
        if required:
            raise ValidationError("This field is required.", field=field)
        return None
    if isinstance(value, bool | float):
        raise ValidationError("Enter a whole number.", field=field)
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError("Enter a whole number.", field=field) from None


def _choice(value, allowed: type, field: str, *, required: bool = True) -> str | None:
    if _blank(value):
        if required:
            raise ValidationError("Choose a value.", field=field)
        return None
    text = str(value).strip().lower()
    if text not in {member.value for member in allowed}:
        raise ValidationError("Choose one of the listed values.", field=field)
    return text


def clean_terms(values: Mapping) -> dict:
    """type, interval, interval_count, duration_months and free_trial_days, shaped by type."""
    kind = _choice(values.get("type"), PlanType, "type")
    cleaned = {"type": kind, "interval": None, "interval_count": None, "duration_months": None}
    if kind == PlanType.RECURRING:
        interval = _choice(values.get("interval"), PlanInterval, "interval")
        count = whole_number(values.get("interval_count"), "interval_count", required=True)
        if interval == PlanInterval.YEAR and count != 1:
            raise ValidationError("A yearly plan bills every 1 year.", field="interval_count")
        if not 1 <= count <= MONTHS_MAX:
            raise ValidationError(f"Between 1 and {MONTHS_MAX} months.", field="interval_count")
        if not _blank(values.get("duration_months")):
            raise ValidationError(
                "A recurring plan renews every term; it has no duration.", field="duration_months"
            )
        cleaned.update(interval=interval, interval_count=count)
    else:
        if not _blank(values.get("interval")) or not _blank(values.get("interval_count")):
            raise ValidationError("Only recurring plans have a billing interval.", field="interval")
        months = whole_number(values.get("duration_months"), "duration_months", required=True)
        if not 1 <= months <= DURATION_MAX:
            raise ValidationError(f"Between 1 and {DURATION_MAX} months.", field="duration_months")
        cleaned["duration_months"] = months
    trial = whole_number(values.get("free_trial_days"), "free_trial_days", required=False) or 0
    if not 0 <= trial <= TRIAL_MAX:
        raise ValidationError(f"Between 0 and {TRIAL_MAX} days.", field="free_trial_days")
    if trial and kind != PlanType.RECURRING:
        raise ValidationError("Only recurring plans have a free trial.", field="free_trial_days")
    cleaned["free_trial_days"] = trial
    return cleaned


def check_physical(terms: Mapping) -> None:
    """Monthly or yearly recurring, or prepaid for 1 or 12 months: 1 or 12 shipments a charge."""
    recurring_ok = terms["type"] == PlanType.RECURRING and terms["interval_count"] == 1
    prepaid_ok = (
        terms["type"] == PlanType.PREPAID and terms["duration_months"] in PHYSICAL_DURATIONS
    )
    if not (recurring_ok or prepaid_ok):
        raise ValidationError(
            "A physical plan bills every month or every year, or is prepaid for 1 or 12 months.",
            field="physical",
        )


def clean_details(value) -> str | None:
    """Allowlisted HTML (the catalogue's sanitiser), at most DETAILS_MAX characters."""
    try:
        html = clean_description(value)
    except ValidationError:
        html = "x" * (DETAILS_MAX + 1)  # the sanitiser's own, larger limit is past ours too
    if html is not None and len(html) > DETAILS_MAX:
        raise ValidationError(
            f"The details are too long (at most {DETAILS_MAX:,} characters).", field="details"
        )
    return html


def clean_name(value) -> str:
    return clean_line(value, field="name", max_length=NAME_MAX)


def clean_customer(value, plan_type: str) -> str | None:
    customer = clean_line(value, field="external_customer", max_length=CUSTOMER_MAX, required=False)
    if customer and plan_type != PlanType.EXTERNAL:
        raise ValidationError("Only external plans name a customer.", field="external_customer")
    return customer


def price_field(currency: str) -> str:
    """`price_usd`: the field a price error is reported under (as for publication prices)."""
    return f"price_{currency.lower()}"


def exponents(codes: Iterable[str]) -> dict[str, int]:
    """Minor-unit exponents of the registry for `codes`, in the order given."""
    wanted = list(codes)
    if not wanted:
        return {}
    found = dict(
        db.session.execute(
            select(Currency.code, Currency.exponent).where(Currency.code.in_(wanted))
        ).all()
    )
    return {code: found[code] for code in wanted if code in found}


def clean_prices(tenant_id: int, raw: Mapping) -> dict[str, int]:
    """Per currency code: an int is minor units, text is major units typed by a person
    ("12.50"); empty means no price. Only the tenant's enabled currencies are accepted."""
    allowed = exponents(tenant_currencies(tenant_id))
    cleaned: dict[str, int] = {}
    for raw_code, amount in raw.items():
        code = str(raw_code or "").strip().upper()
        field = price_field(code)
        if code not in allowed:
            raise ValidationError(f"{code or 'That currency'} is not enabled.", field=field)
        if _blank(amount):
            continue
        if isinstance(amount, bool | float):
            raise ValidationError("Enter an amount.", field=field)
        if isinstance(amount, int):
            cleaned[code] = to_minor(amount, 0, field=field)
        else:
            cleaned[code] = to_minor(amount, allowed[code], field=field)
    return cleaned


def collection_terms(tenant_id: int) -> list[TaxonomyTerm]:
    """The terms of the tenant's collection taxonomy, the choices of a collections scope."""
    query = (
        select(TaxonomyTerm)
        .join(Taxonomy, Taxonomy.id == TaxonomyTerm.taxonomy_id)
        .where(TaxonomyTerm.tenant_id == tenant_id, Taxonomy.is_collection)
        .order_by(TaxonomyTerm.position, TaxonomyTerm.name)
    )
    return list(db.session.scalars(query))


def clean_scope(tenant_id: int, scope, ids) -> tuple[str, list[int]]:
    """`all` (no collections) or `collections` with at least one collection term."""
    scope = _choice(scope or AccessScope.ALL, AccessScope, "access_scope")
    if scope == AccessScope.ALL:
        return scope, []
    wanted = sorted({whole_number(i, "collection_ids", required=True) for i in ids or ()})
    if not wanted:
        raise ValidationError("Choose at least one collection.", field="collection_ids")
    known = {term.id for term in collection_terms(tenant_id)}
    if not set(wanted) <= known:
        raise ValidationError("Choose collections of your store.", field="collection_ids")
    return scope, wanted


def name_taken(tenant_id: int, name: str, *, exclude_id: int | None = None) -> bool:
    """Another live (non-archived) plan of the tenant has this name, ignoring case."""
    query = select(Plan.id).where(
        Plan.tenant_id == tenant_id,
        Plan.archived_at.is_(None),
        func.lower(Plan.name) == name.lower(),
    )
    if exclude_id is not None:
        query = query.where(Plan.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def billing_label(plan) -> str:
    """ "monthly", "every 3 months", "annual", "12 months prepaid", "12 months (external)"."""
    if plan.type == PlanType.RECURRING:
        if plan.interval == PlanInterval.YEAR:
            return "annual"
        count = plan.interval_count or 1
        return "monthly" if count == 1 else f"every {count} months"
    months = plan.duration_months or 0
    term = f"{months} month" if months == 1 else f"{months} months"
    if plan.type == PlanType.EXTERNAL:
        return f"{term} (external)"
    return f"{term} prepaid"
