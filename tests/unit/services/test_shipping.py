"""Shipping (spec 30 §9; acceptance 55, 57-61): note #1 with an approved shipping row, the
snapshot schema, carriers and their scopes, and the notes list, edits and export."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity
from app.models.commerce import Payment, ShippingCarrier, ShippingNote
from app.models.storefront import Notification
from services import shipping, shipping_carriers, shipping_notes, shipping_snapshot
from services.errors import InvalidState, NotFound, ValidationError
from services.features import definitions, grants
from services.shipping_carriers import CarrierInput
from services.shipping_notes import NoteQuery
from services.tenancy import platform_scope, tenant_scope
from tests.factories import ACTOR, UserFactory
from tests.support.commerce import approve, make_order, make_plan

RECIPIENT = {"name": "Ana Reader", "phone": "+54 11 5555 0000", "email": "ana@example.com"}
ADDRESS = {
    "line1": "Calle 7 1234",
    "line2": None,
    "city": "La Plata",
    "state_code": "AR-B",
    "postal_code": "1900",
    "country": "AR",
}
ANCHOR = datetime(2025, 1, 31, 10, tzinfo=UTC)
PHYSICAL = ("physicals_goods", "shipping_by_province")


# -- helpers shared with test_shipping_cycles.py ---------------------------------------------


def make_store(tenant_factory, granted=PHYSICAL):
    """An active tenant whose platform plan grants `granted`; returns (tenant, platform plan)."""
    tenant = tenant_factory(status="active")
    plan = definitions.create_plan(ACTOR, slug=f"p{secrets.token_hex(4)}", name="Physical")
    for slug in granted:
        grants.set_grant(ACTOR, plan, definitions.find_feature(slug), "enabled")
    grants.assign_plan(ACTOR, tenant, plan)
    db.session.commit()
    return tenant, plan


def set_feature(platform_plan, slug: str, on: bool) -> None:
    """Grant or withdraw `slug` on the store's platform plan, from inside a tenant scope."""
    with platform_scope("tests toggle a platform plan grant"):
        feature = definitions.find_feature(slug)
        if on:
            grants.set_grant(ACTOR, platform_plan, feature, "enabled")
        else:
            grants.remove_grant(ACTOR, platform_plan, feature)
        db.session.commit()


def add_carrier(tenant, title="Correo", price="5.00", **fields) -> ShippingCarrier:
    values = {"type": "delivery", "title": title, "prices": {"USD": price}, **fields}
    return shipping_carriers.create_carrier(ACTOR, tenant.id, CarrierInput(**values))


def snapshot_for(carrier, per_shipment=500, interval="month", prepaid_months=None) -> dict:
    address = None if carrier.type == "warehouse" else ADDRESS
    return shipping_snapshot.build(
        carrier,
        per_shipment,
        "USD",
        recipient=RECIPIENT,
        address=address,
        interval=interval,
        interval_count=1 if interval else None,
        prepaid_months=prepaid_months,
    )


def physical_order(tenant, user, carrier, *, interval="month", prepaid=False, per_shipment=500):
    """A pending stripe order of a physical plan with its shipping snapshot."""
    if prepaid:
        plan = make_plan(tenant.id, type="prepaid", duration_months=12, physical=True)
        snap = snapshot_for(carrier, per_shipment, None, prepaid_months=12)
    else:
        plan = make_plan(tenant.id, interval=interval, physical=True)
        snap = snapshot_for(carrier, per_shipment, interval)
    return make_order(tenant.id, user.id, plan=plan, shipping_information=snap)


def pay(order, *, txn="ch_1", at=ANCHOR, cycle=None, status="approved"):
    """Record a charge of the order's lines plus its shipping part; returns the shipping row."""
    shipping_minor = order.shipping_information["price"]["amount_minor"]
    result = approve(
        order, txn=txn, shipping_minor=shipping_minor, occurred_at=at, cycle=cycle, status=status
    )
    return next(r for r in result.created if r.user_plan_id is None)


def notes_of(payment) -> list[ShippingNote]:
    return list(
        db.session.scalars(
            select(ShippingNote)
            .where(ShippingNote.payment_id == payment.id)
            .order_by(ShippingNote.shipment_number)
        )
    )


def actions(action: str) -> list[Activity]:
    return list(db.session.scalars(select(Activity).where(Activity.action == action)))


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def store(platform, tenant_factory):
    return make_store(tenant_factory)


@pytest.fixture
def tenant(store):
    return store[0]


@pytest.fixture
def reader(tenant):
    return UserFactory(tenant=tenant)


@pytest.fixture
def scoped(tenant, reader):
    with tenant_scope(tenant.id):
        yield tenant


@pytest.fixture
def carrier(scoped):
    return add_carrier(scoped)


# -- note #1 (acceptance 55, 57, 58) ---------------------------------------------------------


def test_monthly_approval_creates_exactly_note_one(scoped, reader, carrier):
    order = physical_order(scoped, reader, carrier)
    row = pay(order)
    [note] = notes_of(row)
    assert (note.shipment_number, note.period_length, note.status) == (1, 1, "order-generated")
    assert note.payment_id == row.id and row.user_plan_id is None and row.sale_type == "shipping"
    assert note.due_on == date(2025, 1, 31) and note.amount_minor == 500
    assert note.carrier_id == carrier.id and note.order_id == order.id
    assert note.shipping_information == order.shipping_information


def test_pending_shipping_row_creates_no_note(scoped, reader, carrier):
    order = physical_order(scoped, reader, carrier)
    row = pay(order, status="pending")
    assert notes_of(row) == []


@pytest.mark.parametrize("kind", ["yearly", "prepaid"])
def test_yearly_and_twelve_month_prepaid_notes_cover_twelve_shipments(
    scoped, reader, carrier, kind
):
    if kind == "yearly":
        order = physical_order(scoped, reader, carrier, interval="year", per_shipment=300)
    else:
        order = physical_order(scoped, reader, carrier, prepaid=True, per_shipment=300)
    row = pay(order)
    assert row.amount_minor == 3600
    [note] = notes_of(row)
    assert (note.shipment_number, note.period_length, note.amount_minor) == (1, 12, 300)


def test_note_keeps_its_snapshot_when_the_order_address_changes(scoped, reader, carrier):
    order = physical_order(scoped, reader, carrier)
    [note] = notes_of(pay(order))
    changed = dict(order.shipping_information, address={**ADDRESS, "city": "Quilmes"})
    order.shipping_information = changed
    db.session.flush()
    db.session.refresh(note)
    assert note.shipping_information["address"]["city"] == "La Plata"


def test_reader_is_notified_of_a_new_note(scoped, reader, carrier):
    pay(physical_order(scoped, reader, carrier))
    [notice] = db.session.scalars(select(Notification).where(Notification.user_id == reader.id))
    assert notice.kind == "shipping_note" and "1 of 1" in notice.title


def test_without_physical_goods_the_row_is_recorded_but_no_note(store, reader):
    tenant, platform_plan = store
    with tenant_scope(tenant.id):
        carrier = add_carrier(tenant)
        order = physical_order(tenant, reader, carrier)
        set_feature(platform_plan, "physicals_goods", False)
        row = pay(order)
        assert row.status == "approved" and notes_of(row) == []
        assert shipping.create_first_note(row, order) is None


def test_first_note_needs_an_approved_shipping_row_and_a_snapshot(scoped, reader, carrier):
    order = physical_order(scoped, reader, carrier)
    row = pay(order)
    product = db.session.scalar(select(Payment).where(Payment.user_plan_id.is_not(None)))
    assert shipping.create_first_note(product, order) is None
    order.shipping_information = None
    assert shipping.create_first_note(row, order) is None
    assert len(notes_of(row)) == 1


def test_due_dates_clamp_to_the_end_of_the_month():
    assert shipping.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert shipping.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert shipping.add_months(date(2025, 3, 15), -13) == date(2024, 2, 15)
    assert shipping.months_elapsed(date(2025, 1, 31), date(2025, 2, 27)) == 0
    assert shipping.months_elapsed(date(2025, 1, 31), date(2025, 2, 28)) == 1
    assert shipping.months_elapsed(date(2025, 1, 31), date(2026, 3, 1)) == 13


# -- the snapshot schema ---------------------------------------------------------------------


def valid_snapshot(carrier_uuid="6f1c1c1e-1111-4aaa-8bbb-123456789abc") -> dict:
    return {
        "carrier": {
            "uuid": carrier_uuid,
            "type": "delivery",
            "title": "Correo",
            "state_code": None,
            "address": None,
        },
        "recipient": dict(RECIPIENT),
        "address": dict(ADDRESS),
        "price": {
            "per_shipment_minor": 500,
            "shipments": 1,
            "amount_minor": 500,
            "currency": "USD",
        },
        "interval": "month",
        "interval_count": 1,
    }


def test_a_valid_snapshot_is_normalised():
    data = valid_snapshot()
    data["address"]["country"] = "ar"
    data["recipient"]["name"] = "  Ana Reader "
    cleaned = shipping_snapshot.validate(data)
    assert cleaned["address"]["country"] == "AR" and cleaned["recipient"]["name"] == "Ana Reader"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda s: s["recipient"].pop("name"), "recipient.name"),
        (lambda s: s.update(address=None), "address"),
        (lambda s: s["price"].update(amount_minor=499), "price.amount_minor"),
        (lambda s: s["price"].update(shipments=3), "price.shipments"),
        (lambda s: s["price"].update(per_shipment_minor=True), "price.per_shipment_minor"),
        (lambda s: s.update(extra=1), ""),
        (lambda s: s["carrier"].update(uuid="nope"), "carrier.uuid"),
        (lambda s: s.update(interval="week"), "interval"),
        (lambda s: s["address"].update(state_code="AR BA"), "address.state_code"),
        (lambda s: s["price"].update(currency="dollars"), "price.currency"),
    ],
)
def test_snapshot_errors_name_the_key(change, path):
    data = valid_snapshot()
    change(data)
    with pytest.raises(ValidationError) as caught:
        shipping_snapshot.validate(data)
    assert caught.value.field == ".".join(p for p in ("shipping_information", path) if p)


def test_a_pickup_snapshot_has_no_address():
    data = valid_snapshot()
    data["carrier"].update(type="warehouse", address="Depot 1, 9-18h")
    with pytest.raises(ValidationError):
        shipping_snapshot.validate(data)
    data["address"] = None
    assert shipping_snapshot.validate(data)["address"] is None


# -- carriers (acceptance 61) ----------------------------------------------------------------


def test_carrier_prices_are_parsed_by_the_currency_exponent(scoped):
    carrier = add_carrier(scoped, price="12.50")
    assert [(p.currency, p.amount_minor) for p in carrier.prices] == [("USD", 1250)]
    assert shipping_carriers.price_in(carrier, "USD") == 1250
    assert len(actions("shipping_carrier.created")) == 1
    for price, field in (("1.234", "price_USD"), ("-1", "price_USD"), ("", "prices")):
        with pytest.raises(ValidationError) as caught:
            add_carrier(scoped, title="Bad", price=price)
        assert caught.value.field == field
    with pytest.raises(ValidationError) as caught:
        shipping_carriers.create_carrier(
            ACTOR, scoped.id, CarrierInput(type="delivery", title="Euro", prices={"EUR": "1"})
        )
    assert caught.value.field == "price_EUR"


def test_carrier_rules(scoped):
    with pytest.raises(ValidationError) as caught:
        add_carrier(scoped, type="warehouse")
    assert caught.value.field == "address"
    with pytest.raises(ValidationError) as caught:
        add_carrier(scoped, state_code="Buenos Aires")
    assert caught.value.field == "state_code"
    free = add_carrier(scoped, title="Free pickup", type="warehouse", address="Depot", price="0")
    assert free.prices[0].amount_minor == 0


def test_update_changes_prices_and_records_the_diff(scoped, carrier):
    shipping_carriers.update_carrier(
        ACTOR, carrier, CarrierInput(type="delivery", title="Correo Plus", prices={"USD": "7"})
    )
    assert carrier.title == "Correo Plus" and carrier.prices[0].amount_minor == 700
    [row] = actions("shipping_carrier.updated")
    assert row.before == {"title": "Correo", "prices": {"USD": 500}}


def test_carrier_without_notes_is_deleted_and_with_notes_archived(scoped, reader, carrier):
    spare = add_carrier(scoped, title="Spare")
    assert shipping_carriers.remove_carrier(ACTOR, spare) == "deleted"
    assert db.session.scalar(select(func.count(ShippingCarrier.id))) == 1
    pay(physical_order(scoped, reader, carrier))
    assert shipping_carriers.remove_carrier(ACTOR, carrier) == "archived"
    assert carrier.archived_at is not None and not carrier.active
    assert shipping_carriers.list_carriers(scoped.id) == []
    assert shipping_carriers.list_carriers(scoped.id, include_archived=True) == [carrier]


def test_province_scopes_and_offered_carriers(store, reader):
    tenant, platform_plan = store
    with tenant_scope(tenant.id):
        national = add_carrier(tenant, title="National")
        province = add_carrier(tenant, title="Province", state_code="ar-b")
        pickup = add_carrier(
            tenant, title="Pickup", type="warehouse", address="Depot", state_code="AR-C"
        )
        add_carrier(tenant, title="Anywhere pickup", type="warehouse", address="Depot 2")
        assert shipping_carriers.province_rates(tenant.id) == [province]
        assert shipping_carriers.pickup_points(tenant.id) == [pickup]
        assert province.state_code == "AR-B"
        assert len(shipping_carriers.offered_carriers(tenant.id, "USD")) == 4
        assert shipping_carriers.offered_carriers(tenant.id, "EUR") == []
        set_feature(platform_plan, "shipping_by_province", False)
        offered = shipping_carriers.offered_carriers(tenant.id, "USD")
        assert {c.title for c in offered} == {"National", "Anywhere pickup"}
        assert national in offered
        set_feature(platform_plan, "physicals_goods", False)
        assert shipping_carriers.offered_carriers(tenant.id, "USD") == []


# -- the notes: status, edits, list, export (acceptance 59, 60) -------------------------------


@pytest.fixture
def note(scoped, reader, carrier):
    [row] = notes_of(pay(physical_order(scoped, reader, carrier)))
    return row


def test_status_moves_between_any_two_values_with_an_activity_row(note):
    for status in ("delivered", "pending", "returned", "order-generated"):
        assert shipping_notes.change_status(ACTOR, note, status)
    assert note.status == "order-generated"
    rows = actions("shipping_note.status_changed")
    assert [(r.before["status"], r.after["status"]) for r in rows] == [
        ("order-generated", "delivered"),
        ("delivered", "pending"),
        ("pending", "returned"),
        ("returned", "order-generated"),
    ]
    assert not shipping_notes.change_status(ACTOR, note, "order-generated")


def test_unknown_status_changes_nothing(note):
    with pytest.raises(ValidationError) as caught:
        shipping_notes.change_status(ACTOR, note, "lost")
    assert caught.value.status == 422 and note.status == "order-generated"
    assert actions("shipping_note.status_changed") == []


def test_bulk_status_change_audits_each_note(scoped, reader, carrier, note):
    second = notes_of(pay(physical_order(scoped, reader, carrier), txn="ch_2"))[0]
    with pytest.raises(ValidationError):
        shipping_notes.bulk_change_status(ACTOR, scoped.id, [note.uuid, second.uuid], "lost")
    with pytest.raises(NotFound):
        shipping_notes.bulk_change_status(ACTOR, scoped.id, [note.uuid, "not-a-uuid"], "shipped")
    changed = shipping_notes.bulk_change_status(
        ACTOR, scoped.id, [note.uuid, second.uuid], "shipped"
    )
    assert changed == 2 and note.status == second.status == "shipped"
    assert len(actions("shipping_note.status_changed")) == 2


def test_tracking_and_snapshot_edits_are_audited(note):
    shipping_notes.update_tracking(ACTOR, note, " TRK-1 ", "https://track.example/TRK-1")
    assert note.tracking_code == "TRK-1"
    with pytest.raises(ValidationError):
        shipping_notes.update_tracking(ACTOR, note, "TRK-2", "javascript:alert(1)")
    edited = dict(note.shipping_information, address={**ADDRESS, "city": "Quilmes"})
    shipping_notes.update_snapshot(ACTOR, note, edited)
    assert note.shipping_information["address"]["city"] == "Quilmes"
    with pytest.raises(ValidationError):
        shipping_notes.update_snapshot(ACTOR, note, {"carrier": None})
    [tracking] = actions("shipping_note.tracking_updated")
    [snap] = actions("shipping_note.snapshot_updated")
    assert tracking.after == {
        "tracking_code": "TRK-1",
        "tracking_url": "https://track.example/TRK-1",
    }
    assert snap.before["address"]["city"] == "La Plata"


def test_delete_and_restore(scoped, note):
    shipping_notes.delete_note(ACTOR, note)
    assert shipping_notes.list_notes(scoped.id, NoteQuery()).rows == []
    shown = shipping_notes.list_notes(scoped.id, NoteQuery(show_deleted=True)).rows
    assert [r.note for r in shown] == [note]
    with pytest.raises(InvalidState):
        shipping_notes.change_status(ACTOR, note, "shipped")
    shipping_notes.restore_note(ACTOR, note)
    assert note.deleted_at is None
    assert len(actions("shipping_note.deleted")) == len(actions("shipping_note.restored")) == 1
    assert [a.action for a in shipping_notes.note_activity(note)][:2] == [
        "shipping_note.restored",
        "shipping_note.deleted",
    ]


def test_another_tenants_note_is_not_found(note, tenant_factory):
    with platform_scope("tests make a second store"):
        other, _ = make_store(tenant_factory)
    with tenant_scope(other.id), pytest.raises(NotFound):
        shipping_notes.get_note(other.id, note.uuid)
    assert shipping_notes.get_note(note.tenant_id, note.uuid).id == note.id


def test_list_filters_and_keyset_pages(scoped, reader, carrier):
    other = add_carrier(scoped, title="Moto")
    made = []
    for n in range(30):
        chosen = carrier if n % 2 else other
        order = physical_order(scoped, reader, chosen)
        made.append(notes_of(pay(order, txn=f"ch_{n}", at=datetime(2025, 1, 1 + n, tzinfo=UTC)))[0])
    first = shipping_notes.list_notes(scoped.id, NoteQuery())
    assert len(first.rows) == 25 and first.next_cursor
    assert first.rows[0].note.due_on == date(2025, 1, 30)
    second = shipping_notes.list_notes(scoped.id, NoteQuery(after=first.next_cursor))
    assert len(second.rows) == 5 and second.next_cursor is None
    seen = [r.note.id for r in first.rows + second.rows]
    assert sorted(seen) == sorted(n.id for n in made)
    shipping_notes.change_status(ACTOR, made[0], "shipped")
    shipping_notes.update_tracking(ACTOR, made[1], "ZX-9", None)

    def titles(**filters):
        return [r.note.id for r in shipping_notes.list_notes(scoped.id, NoteQuery(**filters)).rows]

    assert titles(statuses=("shipped",)) == [made[0].id]
    assert len(titles(statuses=("shipped", "order-generated"))) == 25
    assert len(titles(carrier=other.uuid)) == 15
    assert titles(due_from=date(2025, 1, 3), due_to=date(2025, 1, 4)) == [made[3].id, made[2].id]
    assert titles(shipment_number=2) == []
    assert titles(q="ZX-9") == [made[1].id]
    assert len(titles(q=reader.email[:5].upper())) == 25
    assert titles(q=str(made[4].order.uuid)) == [made[4].id]
    with pytest.raises(ValidationError):
        shipping_notes.list_notes(scoped.id, NoteQuery(after="%%%"))
    with pytest.raises(ValidationError):
        shipping_notes.list_notes(scoped.id, NoteQuery(statuses=("lost",)))


def test_export_streams_every_row_and_neutralises_formulas(scoped, note):
    shipping_notes.update_tracking(ACTOR, note, "=HYPERLINK(1)", None)
    text = "".join(shipping_notes.export_csv(scoped.id, NoteQuery()))
    lines = text.strip().splitlines()
    assert lines[0].startswith("note,shipment,period_length,due_on,status")
    assert len(lines) == 2 and "'=HYPERLINK(1)" in lines[1]
    assert "La Plata" in lines[1] and str(note.uuid) in lines[1]
