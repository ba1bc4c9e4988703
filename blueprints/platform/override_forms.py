"""Forms of a tenant's features tab: set and remove an override, change the platform plan."""

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blueprints.platform.forms import NO_PLAN

REASON_RULE = "Give a reason of 5 to 500 characters."


class OverrideForm(FlaskForm):
    # Free text: the feature's kind decides what is valid, checked by the service (spec 20 §3).
    value = StringField("Value", validators=[DataRequired("Choose a value."), Length(max=16)])
    reason = TextAreaField(
        "Reason", validators=[DataRequired(REASON_RULE), Length(5, 500, REASON_RULE)]
    )
    expires_at = DateTimeLocalField("Expires (UTC, optional)", validators=[Optional()])


class RemoveOverrideForm(FlaskForm):
    reason = TextAreaField(
        "Reason", validators=[DataRequired(REASON_RULE), Length(5, 500, REASON_RULE)]
    )


class PlanChangeForm(FlaskForm):
    plan = SelectField("Platform plan", choices=[])
    # The preview fragment's checkbox carries the plan it previewed, so a tick confirms the
    # preview of exactly the plan being saved.
    reviewed = StringField("I reviewed the changes")
    current = NO_PLAN  # the select value of the tenant's plan now (set by the view)

    def validate_plan(self, field):
        if field.data == self.current:
            raise ValidationError("The tenant is already on this platform plan.")

    def validate_reviewed(self, field):
        if field.data != self.plan.data:
            raise ValidationError(
                "Load the preview of this plan and tick 'I reviewed the changes'."
            )


def plan_choices(plans) -> list[SelectChoice]:
    """The select's options: every assignable plan by uuid, then "no platform plan"."""
    options = [
        SelectChoice(str(p.uuid), p.name if p.is_active else f"{p.name} (inactive)") for p in plans
    ]
    return [*options, SelectChoice(NO_PLAN, "— no platform plan —")]
