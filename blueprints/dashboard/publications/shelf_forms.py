"""Forms of the shelves page: a shelf, its hand-picked items, the display mode."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.models.storefront import DISPLAY_MODES, SHELF_KINDS, SHELF_STYLES
from blueprints.dashboard.publications.forms import choices

KIND_LABELS = {"term": "One of my terms", "filter": "A library filter", "manual": "Hand-picked"}
MODE_LABELS = {
    "custom": "My shelves",
    "collections": "One shelf per collection",
    "latest": "Latest publications by month",
    "recommended": "My shelves, with recommendations first",
}


class ShelfForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
    kind = SelectField("Shows", choices=choices(SHELF_KINDS, KIND_LABELS), default="manual")
    term_id = SelectField("Term", choices=[], validate_choice=False)
    filter_query = StringField(
        "Filter link", validators=[Optional(), Length(max=1200)], description="/library/filter?…"
    )
    style = SelectField("Style", choices=choices(SHELF_STYLES), default="carousel")
    max_items = IntegerField("Publications shown", default=12, validators=[NumberRange(1, 48)])
    enabled = BooleanField("Shown on the home page", default=True)

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "kind": self.kind.data,
            "term_id": int(self.term_id.data) if (self.term_id.data or "").isdigit() else None,
            "filter_query": self.filter_query.data,
            "style": self.style.data,
            "max_items": self.max_items.data,
            "enabled": self.enabled.data,
        }


class ShelfItemsForm(FlaskForm):
    items = SelectMultipleField("Publications", choices=[], coerce=int)


class SettingsForm(FlaskForm):
    display_mode = SelectField("Home page shows", choices=choices(DISPLAY_MODES, MODE_LABELS))
    hide_adult_content = BooleanField("Hide adult content")
