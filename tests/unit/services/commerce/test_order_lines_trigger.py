"""The deferred constraint trigger re-checks at COMMIT that every order has a line (spec 30
§3.4 rule 1): an order written without lines, bypassing create_order, cannot commit."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from services.tenancy import context, tenant_scope
from tests.factories import TenantFactory, UserFactory
from tests.support.commerce import make_order

pytestmark = pytest.mark.committing

INSERT = (
    "INSERT INTO orders (uuid, tenant_id, user_id, type, status, gateway_type, sandbox, currency,"
    " amount_minor, created_at, updated_at) VALUES (:u, :t, :r, 'permission', 'approved',"
    " 'manual', false, 'USD', 0, now(), now())"
)


def test_an_order_without_lines_cannot_commit(app, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite has no deferred triggers; create_order keeps the rule there")
    with app.app_context():
        token = context.enter_platform()
        try:
            tenant = TenantFactory(status="active")
            reader = UserFactory(tenant=tenant)
        finally:
            context.reset_scope(token)
        with tenant_scope(tenant.id):
            db.session.execute(text(INSERT), {"u": uuid.uuid4(), "t": tenant.id, "r": reader.id})
            with pytest.raises(IntegrityError, match="has no lines"):
                db.session.commit()
            db.session.rollback()
            order = make_order(tenant.id, reader.id, gateway_type="manual")
            db.session.commit()  # an order with its line commits
            db.session.execute(text("DELETE FROM users_plans WHERE order_id = :o"), {"o": order.id})
            with pytest.raises(IntegrityError, match="has no lines"):
                db.session.commit()
            db.session.rollback()
        db.session.remove()
