"""The shipping.create_cycle_notes task (spec 30 §9.5, §11): one recorded run with a child per
tenant that has physicals_goods, the same notes when it runs twice, a skipped run while its
kill switch is off."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import JobRun
from app.models.base import utcnow
from app.models.commerce import ShippingNote
from services import shipping
from services.features import kill_switches
from services.tenancy import tenant_scope
from tests.factories import ACTOR, UserFactory
from tests.unit.services.test_shipping import add_carrier, make_store, pay, physical_order
from workers.tasks.names import CREATE_CYCLE_NOTES


@pytest.fixture
def task(app):
    return app.extensions["celery"].tasks[CREATE_CYCLE_NOTES]


def yearly_charge(tenant) -> int:
    """A yearly physical subscription paid two calendar months ago; returns its shipping row id."""
    reader = UserFactory(tenant=tenant)
    paid_on = shipping.add_months(utcnow().date(), -2)
    with tenant_scope(tenant.id):
        order = physical_order(tenant, reader, add_carrier(tenant), interval="year")
        row = pay(order, at=datetime.combine(paid_on, time(0, 5), UTC))
        db.session.commit()
        return row.id


def shipment_numbers(tenant, payment_id: int) -> list[int]:
    with tenant_scope(tenant.id):
        return sorted(
            db.session.scalars(
                select(ShippingNote.shipment_number).where(ShippingNote.payment_id == payment_id)
            )
        )


def runs(**where) -> list[JobRun]:
    query = select(JobRun).where(JobRun.job_name == CREATE_CYCLE_NOTES).order_by(JobRun.id)
    return [
        r for r in db.session.scalars(query) if all(getattr(r, k) == v for k, v in where.items())
    ]


def test_running_twice_creates_the_same_notes(platform, tenant_factory, task):
    store, _ = make_store(tenant_factory)
    digital, _ = make_store(tenant_factory, granted=())
    payment_id = yearly_charge(store)
    assert shipment_numbers(store, payment_id) == [1]
    assert task.apply().get() == task.apply().get() == {"tenants": 1}
    assert shipment_numbers(store, payment_id) == [1, 2, 3]
    parents = runs(parent_id=None)
    assert [(r.status, r.trigger, r.counts["tenants"]) for r in parents] == [
        ("succeeded", "beat", 1),
        ("succeeded", "beat", 1),
    ]
    children = [r for r in runs() if r.parent_id is not None]
    assert [(c.parent_id, c.tenant_id) for c in children] == [(p.id, store.id) for p in parents]
    assert [(c.status, c.counts["updated"]) for c in children] == [
        ("succeeded", 2),
        ("succeeded", 0),
    ]
    assert digital.id not in {c.tenant_id for c in children}


def test_a_tenant_task_run_twice_adds_nothing_the_second_time(platform, tenant_factory, task):
    store, _ = make_store(tenant_factory)
    payment_id = yearly_charge(store)
    assert task.apply(kwargs={"tenant_id": store.id, "trigger": "manual"}).get() == {"updated": 2}
    assert task.apply(kwargs={"tenant_id": store.id, "trigger": "manual"}).get() == {"updated": 0}
    assert shipment_numbers(store, payment_id) == [1, 2, 3]
    assert [r.tenant_id for r in runs()] == [store.id, store.id]


def test_kill_switch_off_records_a_skipped_run_and_creates_nothing(platform, tenant_factory, task):
    store, _ = make_store(tenant_factory)
    payment_id = yearly_charge(store)
    kill_switches.toggle_switch(ACTOR, "shipping_notes_generation", False, "a reason of ten chars")
    db.session.commit()
    assert (
        task.apply().get()
        == task.apply().get()
        == {"skipped": "kill switch shipping_notes_generation off"}
    )
    assert shipment_numbers(store, payment_id) == [1]
    assert [r.status for r in runs()] == ["skipped", "skipped"]
    kill_switches.toggle_switch(ACTOR, "shipping_notes_generation", True, "a reason of ten chars")
    db.session.commit()
    assert task.apply(kwargs={"trigger": "manual"}).get() == {"tenants": 1}
    assert shipment_numbers(store, payment_id) == [1, 2, 3]


def test_cli_dry_run_then_create(app, platform, tenant_factory):
    store, _ = make_store(tenant_factory)
    payment_id = yearly_charge(store)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["shipping", "create-cycle-notes", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.endswith("would create 2 shipping notes\n")
    assert shipment_numbers(store, payment_id) == [1]
    done = runner.invoke(args=["shipping", "create-cycle-notes"])
    assert done.exit_code == 0, done.output
    assert f"{store.slug}: 2" in done.output and "created 2 shipping notes" in done.output
    again = runner.invoke(args=["shipping", "create-cycle-notes"])
    assert again.output == "created 0 shipping notes\n"
    assert shipment_numbers(store, payment_id) == [1, 2, 3]
