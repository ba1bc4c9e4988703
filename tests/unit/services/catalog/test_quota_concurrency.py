"""Two parallel uploads at `issues_limit - 1` produce exactly one publication (spec 70 §1.3;
acceptance 3). The test commits for real: each thread has its own session and transaction."""

from __future__ import annotations

import threading

import pytest

from app.extensions import db
from services.catalog import publications
from services.errors import QuotaExceeded
from services.features import grants
from services.tenancy import context, tenant_scope
from tests.factories import TenantFactory
from tests.unit.services.catalog.helpers import ACTOR, create, make_plan

pytestmark = pytest.mark.committing


def _seed(app) -> int:
    with app.app_context():
        token = context.enter_platform()
        try:
            tenant = TenantFactory(status="active")
            grants.assign_plan(ACTOR, tenant, make_plan("2"))
            db.session.commit()
            create(tenant, "Already there")
            return tenant.id
        finally:
            context.reset_scope(token)
            db.session.remove()


def test_two_parallel_creates_at_the_limit_minus_one_make_exactly_one(app, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite has a single writer; the row lock is PostgreSQL's")
    tenant_id = _seed(app)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def upload(n: int) -> None:
        with app.app_context():
            try:
                with tenant_scope(tenant_id):
                    barrier.wait()
                    publications.create_publication(
                        ACTOR, tenant_id, title=f"Parallel {n}", file_type="pdf", language="en"
                    )
                    db.session.commit()
                    outcomes.append("created")
            except QuotaExceeded:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["created", "refused"]
    with app.app_context(), tenant_scope(tenant_id):
        assert publications.count_owned(tenant_id) == 2
        db.session.remove()
