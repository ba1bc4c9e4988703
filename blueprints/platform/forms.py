"""Platform forms: tenants, domains, suspension."""

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

# SelectChoice, not tuples: WTForms 3.3 deprecates tuple choices (a warning, an error in tests).
STATUS_CHOICES = [SelectChoice("trial", "Trial"), SelectChoice("active", "Active")]
REACTIVATE_CHOICES = [SelectChoice("active", "Active"), SelectChoice("trial", "Trial")]


def field_error(form, exc, banner: bool = True) -> str | None:
    """Put a service error under its field when the form has that field. Returns the text for
    the form's banner: the message, or None when `banner` is off and a field took it."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is None:
        return exc.message
    field.errors = [*field.errors, exc.message]
    return exc.message if banner else None


def currency_choices(pairs) -> list[SelectChoice]:
    """The (code, label) pairs of services.currencies.pricing_choices() as form options."""
    return [SelectChoice(code, label) for code, label in pairs]


NO_PLAN = "none"  # a plan select's value for "no platform plan"


class TenantForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    slug = StringField("Slug", validators=[DataRequired(), Length(max=32)])
    status = SelectField("Status", choices=STATUS_CHOICES, default="trial")
    platform_plan = SelectField("Platform plan", choices=[], default=NO_PLAN)
    trial_days = IntegerField(
        "Trial days", default=14, validators=[Optional(), NumberRange(1, 365)]
    )
    timezone = StringField("Time zone", default="UTC", validators=[DataRequired(), Length(max=64)])
    locale = StringField("Locale", default="en", validators=[DataRequired(), Length(max=16)])
    default_currency = SelectField("Default currency", choices=[], default="USD")
    admin_email = EmailField("First admin email", validators=[Optional(), Length(max=254)])
    admin_name = StringField("First admin name", validators=[Optional(), Length(max=120)])


class TenantEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    timezone = StringField("Time zone", validators=[DataRequired(), Length(max=64)])
    locale = StringField("Locale", validators=[DataRequired(), Length(max=16)])
    default_currency = SelectField("Default currency", choices=[])
    trial_ends_at = DateTimeLocalField("Trial ends (UTC)", validators=[Optional()])


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(min=5, max=500)])


class ReactivateForm(ReasonForm):
    status = SelectField("Reactivate as", choices=REACTIVATE_CHOICES)
    trial_ends_at = DateTimeLocalField("Trial ends (UTC)", validators=[Optional()])


class DomainForm(FlaskForm):
    host = StringField("Host", validators=[DataRequired(), Length(max=253)])


class DomainActionForm(FlaskForm):
    host = StringField(validators=[DataRequired(), Length(max=253)])


class PlainForm(FlaskForm):
    """A POST with nothing but the CSRF token."""
