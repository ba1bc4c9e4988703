"""Kill-switch forms: the toggle dialog, a scheduled change and cancelling one. Reasons and
times are checked by the services (one rule, one message); the forms parse and carry CSRF."""

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Optional
from wtforms.validators import ValidationError as FieldError

TARGET_CHOICES = [SelectChoice("off", "Off"), SelectChoice("on", "On")]


def _utc(value: datetime | None) -> datetime | None:
    """The browser sends a naive local-time field that the label says is UTC."""
    return value.replace(tzinfo=UTC) if value is not None else None


class ReasonMixin:
    reason = TextAreaField("Reason (10–500 characters)")


class ToggleForm(ReasonMixin, FlaskForm):
    target = HiddenField(validators=[AnyOf(("on", "off"), message="Pick on or off.")])
    expected_updated_at = HiddenField(validators=[DataRequired("Reload the panel and retry.")])
    run_at = DateTimeLocalField("Turn back on at (UTC, optional)", validators=[Optional()])

    def validate_expected_updated_at(self, field):
        try:
            datetime.fromisoformat(field.data)
        except (TypeError, ValueError):
            raise FieldError("Reload the panel and retry.") from None

    @property
    def turning_on(self) -> bool:
        return self.target.data == "on"

    @property
    def expected(self) -> datetime:
        return datetime.fromisoformat(self.expected_updated_at.data)

    @property
    def run_at_utc(self) -> datetime | None:
        return _utc(self.run_at.data)


class ScheduleForm(ReasonMixin, FlaskForm):
    target = SelectField("Change to", choices=TARGET_CHOICES)
    run_at = DateTimeLocalField("At (UTC)", validators=[DataRequired("Pick a time (UTC).")])

    @property
    def turning_on(self) -> bool:
        return self.target.data == "on"

    @property
    def run_at_utc(self) -> datetime | None:
        return _utc(self.run_at.data)


class CancelScheduleForm(ReasonMixin, FlaskForm):
    """Cancelling a pending change: the reason is all it asks."""
