"""Platform forms for the feature catalogue, platform plans and grant cells (spec 20 §11.2, §11.3).
The services own every rule; these only carry what was typed and show errors by field."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

KIND_CHOICES = [SelectChoice("boolean", "Boolean (on/off)"), SelectChoice("limit", "Limit (quota)")]


class FeatureForm(FlaskForm):
    slug = StringField("Slug")
    name = StringField("Name")
    description = TextAreaField("Description")
    kind = SelectField("Kind", choices=KIND_CHOICES, default="boolean")
    accessible_during_trial = BooleanField("Accessible during trial")
    trial_value = StringField("Trial value (limits: a number or 'unlimited')")
    deprecating = BooleanField("Deprecating (granted to every tenant)")
    confirm_deprecating = BooleanField("Yes, grant it to every tenant")

    def __init__(self, *args, tenant_total: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant_total = tenant_total

    def feature_fields(self) -> dict:
        return {
            "name": self.name.data,
            "description": self.description.data,
            "kind": self.kind.data,
            "accessible_during_trial": self.accessible_during_trial.data,
            "trial_value": self.trial_value.data,
            "deprecating": self.deprecating.data,
        }

    def deprecating_confirmed(self, was_deprecating: bool) -> bool:
        """Turning deprecating on grants the feature to every tenant: it needs a second,
        explicit yes (works without JavaScript, unlike a confirm dialog)."""
        if not self.deprecating.data or was_deprecating or self.confirm_deprecating.data:
            return True
        n = self.tenant_total
        self.confirm_deprecating.errors = [
            f"Deprecating grants this feature to all {n} tenant{'' if n == 1 else 's'}. "
            "Tick the box to confirm."
        ]
        return False


class PlanForm(FlaskForm):
    slug = StringField("Slug")
    name = StringField("Name")
    description = TextAreaField("Description")
    position = IntegerField("Position (display order)", default=0, validators=[InputRequired()])
    is_active = BooleanField("Active (can be assigned to tenants)", default=True)


class GrantForm(FlaskForm):
    """One matrix cell. Over HTMX the value travels with PUT and removal is a DELETE; without
    JavaScript the same form POSTs and the 'remove' button says which."""

    value = StringField("Value", validators=[Optional()])
    remove = SubmitField("Remove (—)")
