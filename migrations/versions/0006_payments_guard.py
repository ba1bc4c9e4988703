"""payments_guard: database triggers that keep the ledger insert-only and order identity fixed

Spec 30 §5.4 and §3.1/§3.4. PostgreSQL gets plpgsql row triggers plus a deferred constraint
trigger that refuses, at commit, an order without lines. SQLite gets equivalent BEFORE triggers
(RAISE(ABORT)); SQLite has no deferred triggers, so there the line rule stays with
`create_order`. A later SQLite batch migration that rebuilds `payments` or `orders` drops these
triggers and must create them again.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Every column except the mutable ones of spec 30 §5.4 (payment_payload, invoice_number,
# email, deleted_at, updated_at).
PAYMENT_FROZEN = (
    "id",
    "uuid",
    "tenant_id",
    "order_id",
    "user_plan_id",
    "gateway_id",
    "gateway_type",
    "status",
    "amount_minor",
    "currency",
    "gateway_transaction_id",
    "gateway_key",
    "gateway_status",
    "sale_type",
    "plan_type",
    "recurring_cycle",
    "refers_to_payment_id",
    "occurred_at",
    "sandbox",
    "idempotency_key",
    "created_at",
)
ORDER_IMMUTABLE = ("sandbox", "tenant_id", "uuid", "type")


def _changed(columns, op_word: str) -> str:
    return " OR ".join(f"NEW.{c} {op_word} OLD.{c}" for c in columns)


# Column names come from the constants above, never from input.
PG_UP = f"""
CREATE FUNCTION payments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'payments are insert-only: delete refused for payment %', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF {_changed(PAYMENT_FROZEN, "IS DISTINCT FROM")} THEN
        RAISE EXCEPTION 'payments are insert-only: frozen column changed on payment %', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payments_guard BEFORE UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION payments_guard();

CREATE FUNCTION orders_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {_changed(ORDER_IMMUTABLE, "IS DISTINCT FROM")} THEN
        RAISE EXCEPTION 'order %: sandbox, tenant, uuid and type are immutable', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER orders_guard BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_guard();

CREATE FUNCTION orders_need_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target bigint;
BEGIN
    IF TG_TABLE_NAME = 'orders' THEN
        target := NEW.id;
    ELSE
        target := OLD.order_id;
    END IF;
    IF EXISTS (SELECT 1 FROM orders WHERE id = target)
       AND NOT EXISTS (SELECT 1 FROM users_plans WHERE order_id = target) THEN
        RAISE EXCEPTION 'order % has no lines', target USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER orders_need_lines AFTER INSERT ON orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION orders_need_lines();
CREATE CONSTRAINT TRIGGER users_plans_keep_order_lines AFTER DELETE OR UPDATE OF order_id
    ON users_plans DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION orders_need_lines();
"""  # noqa: S608

PG_DOWN = """
DROP TRIGGER IF EXISTS users_plans_keep_order_lines ON users_plans;
DROP TRIGGER IF EXISTS orders_need_lines ON orders;
DROP FUNCTION IF EXISTS orders_need_lines();
DROP TRIGGER IF EXISTS orders_guard ON orders;
DROP FUNCTION IF EXISTS orders_guard();
DROP TRIGGER IF EXISTS payments_guard ON payments;
DROP FUNCTION IF EXISTS payments_guard();
"""

SQLITE_UP = (
    "CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments"
    " BEGIN SELECT RAISE(ABORT, 'payments are insert-only'); END",
    f"CREATE TRIGGER payments_frozen BEFORE UPDATE ON payments"
    f" WHEN {_changed(PAYMENT_FROZEN, 'IS NOT')}"
    " BEGIN SELECT RAISE(ABORT, 'payments are insert-only'); END",
    f"CREATE TRIGGER orders_immutable BEFORE UPDATE ON orders"
    f" WHEN {_changed(ORDER_IMMUTABLE, 'IS NOT')}"
    " BEGIN SELECT RAISE(ABORT, 'order sandbox, tenant, uuid and type are immutable'); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS orders_immutable",
    "DROP TRIGGER IF EXISTS payments_frozen",
    "DROP TRIGGER IF EXISTS payments_no_delete",
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_UP)
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_DOWN)
    else:
        for statement in SQLITE_DOWN:
            op.execute(statement)
