"""The bulk assignment task (spec 30 §8.2, §11): runs twice without assigning twice, and a
permanent error marks the import failed instead of retrying."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.commerce import BulkImport, BulkImportRow, Order
from services import activity, bulk_imports
from services.dispatch import PENDING
from services.tenancy import tenant_scope
from tests.support.commerce import make_plan
from workers.tasks.names import PROCESS_BULK_IMPORT

ACTOR = activity.Actor(label="admin@shop.example")


@pytest.fixture
def task(app):
    return app.extensions["celery"].tasks[PROCESS_BULK_IMPORT]


@pytest.fixture
def shop(platform, tenant_factory, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_URL", f"file://{tmp_path}")
    tenant = tenant_factory(status="active")
    with tenant_scope(tenant.id):
        yield tenant


def queued(tenant, text: str) -> BulkImport:
    data = io.BytesIO(text.encode())
    row = bulk_imports.start_import(tenant.id, ACTOR, data, "grants.csv")
    db.session.info.pop(PENDING)  # the test sends the task itself
    db.session.commit()
    return row


def orders_of(row) -> int:
    query = select(func.count(Order.id)).where(Order.bulk_import_id == row.id)
    return db.session.scalar(query)


def test_the_task_runs_twice_and_assigns_once(shop, task):
    plan = make_plan(shop.id)
    row = queued(
        shop, "email,plan\n" + "".join(f"t{n}@example.com,{plan.uuid}\n" for n in range(3))
    )
    kwargs = {"import_id": row.id, "tenant_id": shop.id}
    first = task.apply(kwargs=kwargs).get()
    assert first == {"status": "completed", "processed": 3, "created": 3, "skipped": 0,
                     "invalid": 0}  # fmt: skip
    assert task.apply(kwargs=kwargs).get() == first
    assert orders_of(row) == 3
    rows = select(func.count(BulkImportRow.id)).where(BulkImportRow.import_id == row.id)
    assert db.session.scalar(rows) == 3


def test_a_permanent_error_fails_the_import(shop, task, monkeypatch):
    row = queued(shop, "email,plan\na@example.com,x\n")

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bulk_imports, "plan_row", broken)
    result = task.apply(kwargs={"import_id": row.id, "tenant_id": shop.id}).get()
    assert result["status"] == "failed"
    db.session.refresh(row)
    assert (row.status, row.error) == ("failed", "The import stopped: disk on fire")
    assert task.apply(kwargs={"import_id": row.id, "tenant_id": shop.id}).get() == result
