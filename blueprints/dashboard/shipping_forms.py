"""Forms of the shipping pages: the notes filters (a bad value is a 400), a carrier with one
price per tenant currency, and a note's status, tracking and recipient/address corrections."""

from __future__ import annotations

import uuid

from flask import abort
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from app.models.commerce_enums import CarrierType
from services import currencies
from services.money import to_major
from services.shipping_carriers import CarrierInput, price_in
from services.shipping_notes import STATUSES, NoteQuery

STATUS_LABELS = {"pending": "On hold", "order-generated": "Order generated"}
TYPE_LABELS = {
    CarrierType.DELIVERY: "Delivery to an address",
    CarrierType.WAREHOUSE: "Pickup point",
}
STATUS_CHOICES = [SelectChoice(s, STATUS_LABELS.get(s, s.capitalize())) for s in STATUSES]


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.capitalize())


class NoteFilterForm(FlaskForm):
    """The query string of the notes list; filters never need a CSRF token."""

    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    status = SelectMultipleField("Status", choices=STATUS_CHOICES)
    carrier = SelectField("Carrier", choices=[SelectChoice("", "Any carrier")], default="")
    due_from = DateField("Due from", validators=[Optional()])
    due_to = DateField("Due to", validators=[Optional()])
    shipment = IntegerField("Shipment", validators=[Optional(), NumberRange(1, 12)])
    deleted = BooleanField("Show deleted")

    def with_carriers(self, carriers) -> NoteFilterForm:
        self.carrier.choices = [SelectChoice("", "Any carrier")] + [
            SelectChoice(str(c.uuid), c.title + (" (archived)" if c.archived_at else ""))
            for c in carriers
        ]
        return self

    def parsed(self, after: str | None = None) -> NoteQuery:
        """The typed filters; a value outside its list, a bad date or number is a 400."""
        if not self.validate():
            abort(400)
        selected = next((c for c in self.carrier.choices if c.value == self.carrier.data), None)
        return NoteQuery(
            statuses=tuple(self.status.data or ()),
            carrier=uuid.UUID(selected.value) if selected and selected.value else None,
            due_from=self.due_from.data,
            due_to=self.due_to.data,
            shipment_number=self.shipment.data,
            q=(self.q.data or "").strip(),
            show_deleted=bool(self.deleted.data),
            after=after or None,
        )


def list_args(args) -> dict:
    """The list's query string without its cursor, for links that keep the filters."""
    return {k: args.getlist(k) for k in args if k != "after" and any(args.getlist(k))}


class CarrierForm(FlaskForm):
    type = SelectField("Kind", choices=[SelectChoice(k.value, v) for k, v in TYPE_LABELS.items()])
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
    state_code = StringField("Province (ISO 3166-2, e.g. AR-B)", validators=[Length(max=6)])
    address = TextAreaField("Pickup address and hours", validators=[Length(max=2000)])
    active = BooleanField("Offered at checkout", default=True)
    position = IntegerField("Position", default=0, validators=[Optional(), NumberRange(0, 32767)])

    currencies: tuple[str, ...] = ()

    def price_fields(self):
        return [self[price_field(code)] for code in self.currencies]

    def values(self) -> CarrierInput:
        return CarrierInput(
            type=self.type.data,
            title=self.title.data or "",
            state_code=self.state_code.data or None,
            address=self.address.data or None,
            active=bool(self.active.data),
            position=self.position.data or 0,
            prices={code: self[price_field(code)].data or "" for code in self.currencies},
        )


def price_field(code: str) -> str:
    return f"price_{code}"


def carrier_form(tenant_id: int, exponents: dict[str, int], carrier=None, **kwargs) -> CarrierForm:
    """A carrier form with a price field per currency the tenant sells in, filled from
    `carrier` on first display."""
    codes = tuple(currencies.tenant_currencies(tenant_id))

    class Form(CarrierForm):
        pass

    for code in codes:
        setattr(Form, price_field(code), StringField(f"Price per shipment ({code})"))
    Form.currencies = codes
    if carrier is not None and "formdata" not in kwargs:
        kwargs.setdefault("obj", carrier)
        for code in codes:
            amount = price_in(carrier, code)
            if amount is not None:
                kwargs.setdefault(price_field(code), str(to_major(amount, exponents.get(code, 2))))
    return Form(**kwargs)


class StatusForm(FlaskForm):
    # The service owns the list of statuses: an unknown value is its 422, not the form's.
    status = SelectField("Status", choices=STATUS_CHOICES, validate_choice=False)


class BulkStatusForm(FlaskForm):
    notes = SelectMultipleField("Notes", choices=[], validate_choice=False)
    status = SelectField("Set status to", choices=STATUS_CHOICES, validate_choice=False)


class TrackingForm(FlaskForm):
    tracking_code = StringField("Tracking code", validators=[Optional(), Length(max=120)])
    tracking_url = StringField("Tracking link", validators=[Optional(), Length(max=500)])


class SnapshotForm(FlaskForm):
    """The recipient and the delivery address of one note; the carrier and price stay as sold."""

    name = StringField("Recipient", validators=[DataRequired(), Length(max=200)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    email = StringField("Email", validators=[Optional(), Email(), Length(max=320)])
    line1 = StringField("Address", validators=[Optional(), Length(max=200)])
    line2 = StringField("Address (line 2)", validators=[Optional(), Length(max=200)])
    city = StringField("City", validators=[Optional(), Length(max=120)])
    state_code = StringField("Province", validators=[Optional(), Length(max=6)])
    postal_code = StringField("Postal code", validators=[Optional(), Length(max=20)])
    country = StringField("Country (2 letters)", validators=[Optional(), Length(max=2)])

    ADDRESS = ("line1", "line2", "city", "state_code", "postal_code", "country")

    @classmethod
    def for_note(cls, note, **kwargs) -> SnapshotForm:
        snapshot = note.shipping_information or {}
        data = dict(snapshot.get("recipient") or {})
        data.update(snapshot.get("address") or {})
        return cls(data=data, **kwargs)  # a POST's form data takes precedence

    def merged(self, snapshot: dict) -> dict:
        """`snapshot` with this form's recipient and (for a delivery) address."""
        recipient = {k: self[k].data or None for k in ("name", "phone", "email")}
        address = None
        if snapshot.get("address") is not None:
            address = {k: self[k].data or None for k in self.ADDRESS}
        return {**snapshot, "recipient": recipient, "address": address}


def service_error(form, exc) -> str | None:
    """Put a service error under its field (`shipping_information.address.city` → city);
    without a matching field it is the text of the form's banner."""
    name = (exc.field or "").rsplit(".", 1)[-1]
    field = form._fields.get(name) if name else None
    if field is None:
        return exc.message
    field.errors = [*field.errors, exc.message]
    return None
