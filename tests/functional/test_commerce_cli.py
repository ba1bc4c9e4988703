"""`flask --app wsgi commerce …` (spec 30 §11; acceptance 25): balance, verify-ledger with a
forged key, void and restore a payment row, housekeeping by hand."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import Activity
from app.models.commerce import Payment
from services.tenancy import tenant_scope
from tests.support.commerce import approve, make_order, make_plan, refund


def run(app, *args, exit_code: int = 0) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == exit_code, result.output
    return result.output


@pytest.fixture
def history(app, make_tenant, make_user):
    tenant = make_tenant(status="active")
    reader = make_user(tenant=tenant)
    with app.app_context(), tenant_scope(tenant.id):
        order = make_order(tenant.id, reader.id, plan=make_plan(tenant.id, prices={"USD": 10000}))
        charge = approve(order).created[0]
        refund(order, charge, 2500)
        db.session.commit()
        return tenant, order.uuid, charge.uuid, charge.id


def test_balance_prints_every_level(app, history):
    _, order_uuid, _, _ = history
    output = run(app, "commerce", "balance", str(order_uuid))
    assert "approved=10000 refunded=2500 disputed=0 net=7500" in output


def test_verify_ledger_finds_a_forged_key(app, history):
    tenant, _, _, charge_id = history
    assert "0 findings" in run(app, "commerce", "verify-ledger", "--tenant", tenant.slug)
    columns = (
        "tenant_id, order_id, user_plan_id, gateway_id, gateway_type, status, amount_minor,"
        " currency, gateway_transaction_id, gateway_key, gateway_status, sale_type, plan_type,"
        " recurring_cycle, occurred_at, sandbox, payment_payload, created_at, updated_at"
    )
    with app.app_context():
        # A row written behind the ledger's back, with a key that is not its own.
        db.session.execute(
            text(
                f"INSERT INTO payments (uuid, idempotency_key, {columns}) "  # noqa: S608
                f"SELECT :u, :k, {columns} FROM payments WHERE id = :id"
            ),
            {"u": uuid.uuid4(), "k": "f" * 64, "id": charge_id},
        )
        db.session.commit()
    output = run(app, "commerce", "verify-ledger", "--tenant", tenant.slug, exit_code=1)
    assert "idempotency key mismatch" in output


def test_void_and_restore_a_payment(app, history):
    tenant, order_uuid, charge_uuid, charge_id = history
    run(app, "commerce", "void-payment", str(charge_uuid), "--reason", "duplicate import")
    assert "net=-2500" in run(app, "commerce", "balance", str(order_uuid))
    run(app, "commerce", "void-payment", str(charge_uuid), exit_code=2)  # --reason is required
    run(app, "commerce", "void-payment", str(charge_uuid), "--reason", "again", exit_code=1)
    run(app, "commerce", "void-payment", str(charge_uuid), "--reason", "it was real", "--restore")
    with app.app_context(), tenant_scope(tenant.id):
        assert db.session.get(Payment, charge_id).deleted_at is None
        actions = {
            a.action for a in db.session.query(Activity).filter_by(subject_id=str(charge_uuid))
        }
        assert actions == {"payment.voided", "payment.restored"}


def test_housekeeping_dry_runs(app, history):
    assert "would expire 0 lines" in run(app, "commerce", "expire-plans", "--dry-run")
    assert "would prune 0 orders" in run(app, "commerce", "prune-pending", "--dry-run")


def test_seed_load_refuses_a_production_database(app, history):
    tenant, *_ = history
    app.config["APP_ENV"], before = "production", app.config["APP_ENV"]
    try:
        output = run(
            app,
            "commerce",
            "seed-load",
            "--orders",
            "1",
            "--payments",
            "60",
            "--tenant",
            tenant.slug,
            exit_code=1,
        )
    finally:
        app.config["APP_ENV"] = before
    assert "development and test databases only" in output
