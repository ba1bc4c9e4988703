"""Forms of the publications control panel: list filters, upload, metadata and catalogue entry."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.data.iso639_1 import LANGUAGES
from app.models.catalog import AUDIENCES, CONTRIBUTOR_ROLES, FILE_TYPES, PUBLICATION_STATUSES
from services.catalog.admin_list import SORTS, SOURCES, ListQuery

MAX_BISACS = 3
ACCEPT = ".pdf,.epub,.mp3,.m4a,.m4b,application/pdf,application/epub+zip,audio/mpeg,audio/mp4"
SORT_LABELS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "title": "Title",
    "published": "Publication date",
}


def choices(values, labels: dict | None = None, blank: str | None = None) -> list[SelectChoice]:
    """SelectChoice options (WTForms 3.3 deprecates tuples), with an optional blank first."""
    labels = labels or {}
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [
        SelectChoice(v, labels.get(v, v.replace("_", " ").capitalize())) for v in values
    ]


def language_choices() -> list[SelectChoice]:
    """The embedded ISO 639-1 list, by name."""
    pairs = sorted(LANGUAGES.items(), key=lambda item: item[1])
    return [SelectChoice(code, f"{name} ({code})") for code, name in pairs]


def field_error(form, exc) -> str | None:
    """A service error under its field when the form has one (then no banner), else the text
    for the form's banner. `contributors-<i>-name` names the i-th row of the form."""
    name = exc.field or ""
    if name.startswith("contributors-") and hasattr(form, "contributors"):
        index, _, part = name.removeprefix("contributors-").partition("-")
        rows = form.contributors.entries
        if index.isdigit() and int(index) < len(rows) and part in ("name", "role"):
            row = rows[int(index)].form[part]
            row.errors = [*row.errors, exc.message]
            return None
    field = getattr(form, name, None) if name else None
    if field is None:
        return exc.message
    field.errors = [*field.errors, exc.message]
    return None


class FilterForm(FlaskForm):
    """The GET filters of the table; invalid values are ignored, never an error."""

    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    status = SelectField("Status", choices=choices(PUBLICATION_STATUSES, blank="Any status"))
    file_type = SelectField(
        "Type", choices=choices(FILE_TYPES, {"pdf": "PDF", "epub": "EPUB"}, "Any type")
    )
    source = SelectField("Source", choices=choices(SOURCES, blank="Any source"))
    term = SelectField("Term", choices=[], validate_choice=False)
    sort = SelectField("Sort", choices=choices(SORTS, SORT_LABELS), default="newest")

    def query(self, page: int) -> ListQuery:
        def valid(field):
            return field.data if field.data in {c.value for c in field.choices} else ""

        term = self.term.data or ""
        return ListQuery(
            q=(self.q.data or "")[:200],
            status=valid(self.status),
            file_type=valid(self.file_type),
            source=valid(self.source),
            term_id=int(term) if term.isdigit() else None,
            sort=valid(self.sort) or "newest",
            page=max(1, page),
        )


class UploadForm(FlaskForm):
    file = FileField("File", validators=[FileRequired("Choose a PDF, EPUB, MP3, M4A or M4B file.")])
    title = StringField("Title", validators=[Optional(), Length(max=300)])
    language = SelectField("Language", choices=[])


class ContributorForm(Form):
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=choices(CONTRIBUTOR_ROLES), default="author")


class EntryForm(FlaskForm):
    """What a tenant decides about any item of its catalogue (owned, shared or marketplace)."""

    terms = SelectMultipleField("Terms", choices=[], coerce=int)
    enabled = BooleanField("Listed in my store")
    is_featured = BooleanField("Featured")


class PublicationForm(EntryForm):
    """An owned publication's metadata, on top of the entry's own choices."""

    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    description_html = TextAreaField("Description", validators=[Optional(), Length(max=40000)])
    language = SelectField("Language", choices=[])
    audience = SelectField("Audience", choices=choices(AUDIENCES, {"elt": "ELT"}, "Not set"))
    contributors = FieldList(FormField(ContributorForm), min_entries=1, max_entries=50)
    bisac = FieldList(
        StringField(
            "BISAC code",
            validators=[
                Optional(),
                Regexp(r"^[A-Za-z]{3}[0-9]{6}$", message="A BISAC code is 3 letters, 6 digits."),
            ],
        ),
        min_entries=MAX_BISACS,
        max_entries=MAX_BISACS,
    )
    published_at = DateTimeLocalField(
        "Published at",
        validators=[Optional()],
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    is_free = BooleanField("Free")
    is_physical = BooleanField("Printed edition (ships)")
    is_adult = BooleanField("Adult content")
    retail_licensed = BooleanField("Retail licence (no discounts)")
    marketplace_listed = BooleanField("Offer on the platform marketplace")
    edition_prefix = StringField("Edition prefix", validators=[Optional(), Length(max=32)])
    edition_date = DateField("Edition date", validators=[Optional()])

    def credits(self) -> list[tuple[str, str]]:
        """Every row, blank ones included: the service skips those and names a bad row by
        its index, which then matches the form's rows."""
        return [(entry.form.name.data or "", entry.form.role.data) for entry in self.contributors]

    def bisac_codes(self) -> list[str]:
        return [code.strip().upper() for code in self.bisac.data if (code or "").strip()]

    def apply_contributor_op(self, op: str) -> None:
        """Add a blank contributor row or drop one (`remove-<index>`), without saving."""
        if op == "add" and len(self.contributors) < 50:
            self.contributors.append_entry()
        elif op.startswith("remove-"):
            names = [entry.name for entry in self.contributors.entries]
            target = f"contributors-{op.removeprefix('remove-')}"
            if target in names:
                del self.contributors.entries[names.index(target)]
            if not self.contributors.entries:
                self.contributors.append_entry()


def price_field_name(currency: str) -> str:
    """`price_usd`: the field name services.catalog.prices reports errors under."""
    return f"price_{currency.lower()}"


def with_prices(form_class, exponents: dict[str, int]):
    """`form_class` plus one optional amount per enabled currency, in major units."""
    fields = {
        price_field_name(code): DecimalField(
            f"Price ({code})",
            places=exponent,
            validators=[Optional(), NumberRange(min=Decimal(0))],
        )
        for code, exponent in sorted(exponents.items())
    }
    return type(form_class.__name__, (form_class,), fields)


class PlainForm(FlaskForm):
    """A POST with nothing but the CSRF token (delete, revoke, add, remove)."""


class ShareForm(FlaskForm):
    slug = StringField("Store slug", validators=[DataRequired(), Length(max=32)])


class TaxonomyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    slug = StringField(
        "Slug",
        validators=[
            DataRequired(),
            Regexp(
                r"^[a-z][a-z0-9_]{1,39}$",
                message="2–40 lower-case letters, digits and underscores, starting with a letter.",
            ),
        ],
    )
    is_collection = BooleanField("Collections (plans can cover its terms)")
    max_filter_terms = SelectField(
        "Terms per filter",
        choices=[SelectChoice("1", "1"), SelectChoice("2", "2 (items tagged with both)")],
        default="1",
    )


class TermForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        "Slug",
        validators=[
            Optional(),
            Length(max=120),
            Regexp(r"^[a-z0-9][a-z0-9-]*$", message="Lower-case letters, digits and hyphens."),
        ],
    )
    restricted = BooleanField("Restricted (only readers whose plan covers it)")
