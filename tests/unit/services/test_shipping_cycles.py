"""The daily note generation (spec 30 §9.5; acceptance 55, 56, 58, 62): yearly charges get one
note per started month up to 12, catch up after an outage, never run ahead or past 12, stop
after the shipping part is refunded, skip paused lines, and wait for physicals_goods."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Activity
from app.models.commerce import ShippingNote
from services import order_review, shipping_cycles
from services.order_transitions import set_line_status
from services.tenancy import tenant_scope
from tests.factories import ACTOR, UserFactory
from tests.support.commerce import refund
from tests.unit.services.test_shipping import (
    ANCHOR,
    add_carrier,
    make_store,
    notes_of,
    pay,
    physical_order,
    set_feature,
)


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def run(tenant, now, dry_run=False) -> int:
    return shipping_cycles.create_cycle_notes(tenant.id, now=now, dry_run=dry_run)


def numbers(payment) -> list[int]:
    return [n.shipment_number for n in notes_of(payment)]


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


@pytest.fixture
def yearly(scoped, reader, carrier):
    """The order and the shipping row of a yearly physical subscription paid on ANCHOR."""
    order = physical_order(scoped, reader, carrier, interval="year", per_shipment=300)
    return order, pay(order)


def test_yearly_note_two_after_one_month_and_never_twice(scoped, yearly):
    _, row = yearly
    assert numbers(row) == [1]
    assert run(scoped, at(2025, 2, 27)) == 0  # Jan 31 + 1 month is Feb 28: not yet
    assert run(scoped, at(2025, 2, 28)) == 1
    assert run(scoped, at(2025, 3, 10)) == 0  # a second run in the same month adds nothing
    notes = notes_of(row)
    assert [(n.shipment_number, n.due_on) for n in notes] == [
        (1, date(2025, 1, 31)),
        (2, date(2025, 2, 28)),
    ]
    assert all(n.period_length == 12 and n.amount_minor == 300 for n in notes)
    assert all(n.shipping_information == notes[0].shipping_information for n in notes)


def test_catch_up_after_an_outage_and_never_a_thirteenth(scoped, yearly):
    _, row = yearly
    assert run(scoped, at(2025, 6, 2)) == 4
    assert numbers(row) == [1, 2, 3, 4, 5]
    assert run(scoped, at(2025, 6, 2)) == 0
    assert run(scoped, at(2026, 2, 27)) == 7
    assert numbers(row) == list(range(1, 13))
    assert notes_of(row)[-1].due_on == date(2025, 12, 31)
    assert run(scoped, at(2026, 2, 28)) == 0
    assert len(notes_of(row)) == 12


def test_dry_run_counts_without_creating(scoped, yearly):
    _, row = yearly
    assert run(scoped, at(2025, 4, 1), dry_run=True) == 2
    assert numbers(row) == [1]


def test_charges_older_than_thirteen_months_are_left_alone(scoped, yearly):
    _, row = yearly
    assert run(scoped, at(2026, 3, 1)) == 0
    assert numbers(row) == [1]


def test_monthly_charges_get_one_note_each(scoped, reader, carrier):
    order = physical_order(scoped, reader, carrier)
    first = pay(order)
    assert run(scoped, at(2025, 6, 1)) == 0
    second = pay(order, txn="ch_2", at=at(2025, 2, 28))
    assert numbers(first) == numbers(second) == [1]
    assert second.recurring_cycle == 2


def test_deleted_notes_are_not_recreated(scoped, yearly):
    from services import shipping_notes

    _, row = yearly
    run(scoped, at(2025, 2, 28))
    shipping_notes.delete_note(ACTOR, notes_of(row)[1])
    assert run(scoped, at(2025, 3, 5)) == 0
    assert run(scoped, at(2025, 3, 31)) == 1
    assert numbers(row) == [1, 2, 3]


def test_paused_line_is_skipped_until_resumed(scoped, yearly):
    order, row = yearly
    line = order.lines[0]
    set_line_status(line, "paused", ACTOR, "reader away")
    assert run(scoped, at(2025, 4, 1)) == 0
    set_line_status(line, "approved", ACTOR, "reader back")
    assert run(scoped, at(2025, 4, 1)) == 2
    assert numbers(row) == [1, 2, 3]


def test_partial_shipping_refund_keeps_the_notes_coming(scoped, yearly):
    order, row = yearly
    refund(order, row, 1000)
    assert run(scoped, at(2025, 2, 28)) == 1


def test_full_shipping_refund_stops_notes_and_flags_the_order(scoped, yearly):
    order, row = yearly
    run(scoped, at(2025, 2, 28))
    refund(order, row, row.amount_minor)
    assert order.review_reason == "shipping_refunded_open_notes"
    assert order.lines[0].status == "approved"  # the reader keeps reading
    assert run(scoped, at(2025, 8, 1)) == 0
    assert numbers(row) == [1, 2]


def test_the_job_flags_what_nobody_has_reviewed_and_respects_a_review(scoped, yearly):
    order, row = yearly
    refund(order, row, row.amount_minor)
    order.review_reason = None  # as if the refund had been recorded without the flag
    db.session.flush()
    run(scoped, at(2025, 2, 28))
    assert order.review_reason == "shipping_refunded_open_notes"
    flagged = db.session.scalars(
        select(Activity).where(Activity.action == "order.review_flagged")
    ).all()
    assert len(flagged) == 1
    order_review.mark_reviewed(order, ACTOR)
    run(scoped, at(2025, 3, 31))
    assert order.review_reason is None


def test_no_flag_when_every_note_was_sent(scoped, yearly):
    from services import shipping_notes

    order, row = yearly
    shipping_notes.change_status(ACTOR, notes_of(row)[0], "delivered")
    refund(order, row, row.amount_minor)
    order.review_reason = None
    db.session.flush()
    run(scoped, at(2025, 2, 28))
    assert order.review_reason is None


def test_feature_off_no_note_until_the_job_after_it_returns(store, reader):
    tenant, platform_plan = store
    with tenant_scope(tenant.id):
        carrier = add_carrier(tenant)
        order = physical_order(tenant, reader, carrier, interval="year")
        set_feature(platform_plan, "physicals_goods", False)
        row = pay(order)
        assert numbers(row) == []
        assert run(tenant, at(2025, 3, 1)) == 0
        assert numbers(row) == []
        set_feature(platform_plan, "physicals_goods", True)
        assert run(tenant, at(2025, 3, 1)) == 2
        assert numbers(row) == [1, 2]
        assert db.session.get(ShippingNote, notes_of(row)[0].id).due_on == ANCHOR.date()


def test_runs_for_its_tenant_only_from_the_platform_context(store, reader, tenant_factory):
    tenant, _ = store
    with tenant_scope(tenant.id):
        carrier = add_carrier(tenant)
        row = pay(physical_order(tenant, reader, carrier, interval="year"))
        row_id = row.id
    other, _ = make_store(tenant_factory)
    assert shipping_cycles.create_cycle_notes(other.id, now=at(2025, 3, 1)) == 0
    assert shipping_cycles.create_cycle_notes(tenant.id, now=at(2025, 3, 1)) == 1
    with tenant_scope(tenant.id):
        count = db.session.scalars(
            select(ShippingNote.shipment_number).where(ShippingNote.payment_id == row_id)
        ).all()
        assert sorted(count) == [1, 2]
