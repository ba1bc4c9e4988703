"""Quota enforcement and the admin_limit rules (spec 20 §10, spec 10 §9.5 and §10 item 1;
§15 items 35-37)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.activity import Activity
from app.models.features import PlatformPlan
from app.models.tenancy import Tenant, User
from services import activity, features, users
from services.errors import InvalidState, PermissionDenied, QuotaExceeded
from services.features import definitions, grants, registry
from services.tenancy import context
from services.tenancy import tenants as tenant_service
from services.tenancy.resolver import get_tenant

ACTOR = activity.Actor(label="tests")
LIMIT_MESSAGE = "Your platform plan allows up to {} administrators; {} in use."


def make_plan(slug: str = "growth", name: str = "Growth", admin_limit: str | None = "5"):
    plan = definitions.create_plan(ACTOR, slug=slug, name=name)
    if admin_limit is not None:
        grants.set_grant(ACTOR, plan, definitions.find_feature("admin_limit"), admin_limit)
    return plan


def set_admin_limit(plan: PlatformPlan, value: str) -> None:
    grants.set_grant(ACTOR, plan, definitions.find_feature("admin_limit"), value)
    db.session.commit()


def add_admin(tenant: Tenant, n: int, **kwargs) -> User:
    return users.create_user(
        ACTOR, tenant.id, email=f"admin{n}@example.com", name=f"Admin {n}", role="admin", **kwargs
    )


def active_admins(tenant: Tenant) -> int:
    return users.count_active_admins(tenant.id)


@pytest.fixture
def plan(platform):
    plan = make_plan()
    db.session.commit()
    return plan


@pytest.fixture
def five_admins(tenant) -> list[User]:
    admins = [add_admin(tenant, n) for n in range(5)]
    db.session.commit()
    return admins


def admin_actor(user: User) -> activity.Actor:
    return activity.Actor.for_user(user)


# -- creating admins -------------------------------------------------------------------------


def test_sixth_admin_is_refused_with_the_quota_message(tenant, five_admins):
    with pytest.raises(QuotaExceeded) as refused:
        add_admin(tenant, 6)
    error = refused.value
    assert error.message == LIMIT_MESSAGE.format(5, 5)
    assert (error.slug, error.limit, error.current, error.field) == ("admin_limit", 5, 5, "role")
    db.session.rollback()
    assert active_admins(tenant) == 5


def test_readers_do_not_count(tenant, five_admins):
    users.create_user(ACTOR, tenant.id, email="reader@example.com", name="Reader")
    assert active_admins(tenant) == 5


def test_tenant_without_a_platform_plan_may_not_add_admins(platform, tenant_factory):
    row = tenant_factory(status="active")
    with pytest.raises(QuotaExceeded) as refused:
        add_admin(row, 1)
    assert refused.value.message == "Not included in your platform plan."
    assert refused.value.limit is None


def test_unlimited_plan_never_refuses(tenant, plan, five_admins):
    set_admin_limit(plan, "unlimited")
    for n in range(5, 8):
        add_admin(tenant, n)
    assert active_admins(tenant) == 8


def test_enforce_returns_the_count_in_use(tenant, five_admins, plan):
    set_admin_limit(plan, "6")
    assert features.quotas.enforce(get_tenant(tenant.id), "admin_limit") == 5
    with pytest.raises(ValueError):
        features.quotas.enforce(tenant, "maximum_discount_coupon_amount_limit")


# -- the first admin of a new tenant ---------------------------------------------------------


def test_first_admin_counts_for_a_tenant_and_plan_made_in_the_same_transaction(platform):
    plan = make_plan(slug="solo", name="Solo", admin_limit="1")  # not committed
    tenant, admin = tenant_service.create_tenant(
        ACTOR,
        slug="fresh",
        name="Fresh",
        status="active",
        platform_plan_id=plan.id,
        admin_email="owner@fresh.example",
    )
    assert admin is not None and admin.role == "admin"
    with pytest.raises(QuotaExceeded) as refused:
        add_admin(tenant, 2)
    assert refused.value.message == LIMIT_MESSAGE.format(1, 1)


@pytest.mark.parametrize("admin_limit", ["0", "disabled", None])
def test_first_admin_refused_when_the_chosen_plan_allows_none(platform, admin_limit):
    plan = make_plan(slug="bare", name="Bare", admin_limit=admin_limit)
    with pytest.raises(QuotaExceeded) as refused:
        tenant_service.create_tenant(
            ACTOR,
            slug="nobody",
            name="Nobody",
            status="active",
            platform_plan_id=plan.id,
            admin_email="owner@nobody.example",
        )
    assert refused.value.field == "admin_email"
    if admin_limit == "0":
        assert refused.value.message == LIMIT_MESSAGE.format(0, 0)
    else:
        assert refused.value.message == "Not included in your platform plan."


def test_first_admin_of_a_trial_tenant_follows_trial_access(platform):
    admin_limit = definitions.find_feature("admin_limit")
    with pytest.raises(QuotaExceeded):  # seeded: no trial access to admin_limit
        tenant_service.create_tenant(
            ACTOR, slug="trying", name="Trying", admin_email="owner@trying.example"
        )
    db.session.rollback()
    definitions.update_feature(ACTOR, admin_limit, accessible_during_trial=True, trial_value="2")
    tenant, admin = tenant_service.create_tenant(
        ACTOR, slug="trying", name="Trying", admin_email="owner@trying.example"
    )
    assert tenant.status == "trial" and admin.role == "admin"


# -- promote, reactivate, demote, deactivate -------------------------------------------------


def test_promoting_a_reader_enforces_the_quota(tenant, five_admins):
    reader = users.create_user(ACTOR, tenant.id, email="reader@example.com", name="Reader")
    db.session.commit()
    with pytest.raises(QuotaExceeded) as refused:
        users.change_role(admin_actor(five_admins[0]), reader, "admin")
    assert refused.value.message == LIMIT_MESSAGE.format(5, 5)
    db.session.rollback()
    assert db.session.get(User, reader.id).role == "reader"


def test_promote_and_demote_write_activity(tenant, five_admins):
    actor = admin_actor(five_admins[0])
    users.change_role(actor, five_admins[1], "reader")
    reader = five_admins[1]
    assert active_admins(tenant) == 4
    users.change_role(actor, reader, "admin")
    assert active_admins(tenant) == 5
    rows = db.session.scalars(
        select(Activity).where(Activity.action == "user.role_changed").order_by(Activity.id)
    ).all()
    assert [(r.before, r.after) for r in rows] == [
        ({"role": "admin"}, {"role": "reader"}),
        ({"role": "reader"}, {"role": "admin"}),
    ]


def test_reactivating_an_admin_enforces_the_quota(tenant, five_admins):
    actor = admin_actor(five_admins[0])
    users.set_active(actor, five_admins[4], False)
    add_admin(tenant, 5)  # the freed slot is taken
    with pytest.raises(QuotaExceeded) as refused:
        users.set_active(actor, five_admins[4], True)
    assert refused.value.message == LIMIT_MESSAGE.format(5, 5)
    assert refused.value.field == "is_active"


def test_deactivation_signs_out_and_writes_activity(tenant, five_admins):
    target = five_admins[3]
    token = target.session_token
    users.set_active(admin_actor(five_admins[0]), target, False)
    assert not target.is_active and target.session_token != token
    row = db.session.scalar(select(Activity).where(Activity.action == "user.deactivated"))
    assert (row.before, row.after) == ({"is_active": True}, {"is_active": False})
    assert row.subject_id == str(target.uuid)


def test_an_inactive_reader_promoted_does_not_count_until_reactivated(tenant, five_admins):
    actor = admin_actor(five_admins[0])
    reader = users.create_user(ACTOR, tenant.id, email="reader@example.com", name="Reader")
    users.set_active(actor, reader, False)
    users.change_role(actor, reader, "admin")  # inactive: no slot used
    assert active_admins(tenant) == 5
    with pytest.raises(QuotaExceeded):
        users.set_active(actor, reader, True)


def test_nobody_demotes_or_deactivates_themselves(tenant, five_admins):
    me = five_admins[0]
    with pytest.raises(PermissionDenied):
        users.change_role(admin_actor(me), me, "reader")
    with pytest.raises(PermissionDenied):
        users.set_active(admin_actor(me), me, False)


def test_the_last_active_admin_stays(platform, tenant):
    last = add_admin(tenant, 1)
    other = users.create_user(ACTOR, tenant.id, email="reader@example.com", name="Reader")
    with pytest.raises(InvalidState, match="at least one active administrator"):
        users.change_role(ACTOR, last, "reader")
    with pytest.raises(InvalidState, match="at least one active administrator"):
        users.set_active(ACTOR, last, False)
    users.set_active(ACTOR, other, False)  # readers may go
    assert last.is_active and last.role == "admin"


# -- a lower limit ---------------------------------------------------------------------------


def test_lowering_the_limit_removes_nobody_and_blocks_additions(tenant, plan, five_admins):
    set_admin_limit(plan, "2")
    assert active_admins(tenant) == 5
    assert all(u.is_active and u.role == "admin" for u in five_admins)
    assert not features.within_limit(get_tenant(tenant.id), "admin_limit", 5)
    with pytest.raises(QuotaExceeded) as refused:
        add_admin(tenant, 6)
    assert refused.value.message == LIMIT_MESSAGE.format(2, 5)


# -- concurrency -----------------------------------------------------------------------------


@pytest.mark.committing
def test_parallel_admin_creations_with_one_slot_left_create_exactly_one(
    app, is_postgres, monkeypatch
):
    if not is_postgres:
        pytest.skip("the row lock is PostgreSQL's; SQLite serialises writers by itself")

    def slow_count(tenant_id: int) -> int:
        # A wide gap between counting and inserting: only the tenant lock keeps racers out.
        counted = users.count_active_admins(tenant_id)
        time.sleep(0.1)
        return counted

    monkeypatch.setitem(registry._usage, "admin_limit", slow_count)
    with app.app_context():
        token = context.enter_platform()
        try:
            plan = make_plan()
            tenant, _ = tenant_service.create_tenant(
                ACTOR, slug="busy", name="Busy", status="active", platform_plan_id=plan.id
            )
            for n in range(4):
                add_admin(tenant, n)
            db.session.commit()
            tenant_id = tenant.id
        finally:
            context.reset_scope(token)
            db.session.remove()

    threads, barrier, outcomes = 6, threading.Barrier(6), []

    def create(n: int) -> None:
        with app.app_context():
            token = context.enter_platform()
            try:
                barrier.wait()
                users.create_user(
                    ACTOR, tenant_id, email=f"racer{n}@example.com", name="Racer", role="admin"
                )
                db.session.commit()
                outcomes.append("created")
            except QuotaExceeded:
                db.session.rollback()
                outcomes.append("quota_exceeded")
            finally:
                context.reset_scope(token)
                db.session.remove()

    pool = [threading.Thread(target=create, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["created"] + ["quota_exceeded"] * (threads - 1)
    with app.app_context():
        assert users.count_active_admins(tenant_id) == 5
