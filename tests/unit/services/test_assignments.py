"""Orders that do not come from a gateway (spec 30 §8.1, §8.3, §8.4; acceptance 47–49)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity
from app.models.base import utcnow
from app.models.commerce import Payment, UserPlan
from services import activity, assignments
from services.errors import Conflict, InvalidState, PermissionDenied, ValidationError
from services.features import definitions, grants
from services.order_state import add_months
from services.tenancy import tenant_scope
from tests.support.commerce import make_order, make_plan, make_publication

ACTOR = activity.Actor(label="admin@shop.example", user_id=None)


def _shop(tenant_factory, user_factory, *, external: bool):
    tenant = tenant_factory(status="active")
    if external:
        plan = definitions.create_plan(ACTOR, slug="ext", name="Ext")
        grants.set_grant(ACTOR, plan, definitions.find_feature("create_external_plans"), "enabled")
        grants.assign_plan(ACTOR, tenant, plan)
        db.session.commit()
    reader = user_factory(tenant=tenant, email="reader@shop.example")
    with tenant_scope(tenant.id):
        yield tenant, reader


@pytest.fixture
def shop(platform, tenant_factory, user_factory):
    """An active store with a reader, entered as the current tenant."""
    yield from _shop(tenant_factory, user_factory, external=False)


@pytest.fixture
def external_shop(platform, tenant_factory, user_factory):
    """The same, on a platform plan with `create_external_plans`."""
    yield from _shop(tenant_factory, user_factory, external=True)


def payments(order) -> int:
    return db.session.scalar(select(func.count(Payment.id)).where(Payment.order_id == order.id))


def actions(subject) -> list[Activity]:
    return list(
        db.session.scalars(
            select(Activity).where(Activity.subject_id == str(subject)).order_by(Activity.id)
        )
    )


def test_acceptance_47_manual_assignment_is_an_approved_free_grant_with_activity(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id)
    order = assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=plan.uuid, note="Press copy")
    db.session.flush()
    [line] = order.lines
    assert (order.gateway_type, order.type, order.status) == ("manual", "permission", "approved")
    assert order.amount_minor == 0 and payments(order) == 0
    assert (line.status, line.kind, line.price_minor) == ("approved", "recurring", 0)
    assert line.starts_at is not None and line.expires_at is None
    assert [a.action for a in actions(order.uuid)] == ["order.created"]
    [assigned] = actions(line.uuid)
    assert assigned.action == "user_plan.assigned"
    assert assigned.after["note"] == "Press copy"


def test_acceptance_48_prepaid_defaults_to_its_duration_and_past_ends_are_refused(shop):
    tenant, reader = shop
    prepaid = make_plan(tenant.id, type="prepaid", duration_months=6)
    before = utcnow()
    order = assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=prepaid.uuid)
    expires = order.lines[0].expires_at
    assert add_months(before, 6) <= expires <= add_months(utcnow(), 6)
    other = make_plan(tenant.id)
    for end in (utcnow() - timedelta(days=1), utcnow() + timedelta(days=365 * 101)):
        with pytest.raises(ValidationError) as refused:
            assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=other.uuid, expires_at=end)
        assert refused.value.field == "expires_at"
    chosen = utcnow() + timedelta(days=30)
    order = assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=other.uuid, expires_at=chosen)
    assert order.lines[0].expires_at == chosen


def test_acceptance_49_an_active_target_is_refused_until_its_line_is_cancelled(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id, type="prepaid", duration_months=1)
    first = assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=plan.uuid)
    with pytest.raises(assignments.AlreadyActive) as refused:
        assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=plan.uuid)
    until = first.lines[0].expires_at.astimezone(UTC).strftime("%Y-%m-%d")
    assert f"Already active until {until}" in refused.value.message
    assignments.cancel_grant(first.lines[0], ACTOR, "Moved to another plan")
    db.session.flush()
    again = assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=plan.uuid)
    assert again.lines[0].status == "approved"


def test_publications_are_assigned_from_the_catalogue_only(shop, tenant_factory):
    tenant, reader = shop
    mine = make_publication(tenant.id, "Tide Tables")
    order = assignments.assign(tenant.id, reader.id, ACTOR, publication_uuid=mine.uuid)
    line = order.lines[0]
    assert (line.kind, line.publication_id, line.expires_at) == ("single", mine.id, None)
    other = tenant_factory(status="active")
    with tenant_scope(other.id):
        theirs = make_publication(other.id, "Not yours")
        db.session.commit()
    with pytest.raises(ValidationError) as refused:
        assignments.assign(tenant.id, reader.id, ACTOR, publication_uuid=theirs.uuid)
    assert refused.value.field == "publication"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"archived_at": datetime(2024, 1, 1, tzinfo=UTC)}, "plan"),
        ({"type": "external", "duration_months": 12}, "plan"),
    ],
)
def test_archived_and_external_plans_are_not_granted(shop, change, field):
    tenant, reader = shop
    plan = make_plan(tenant.id, **change)
    with pytest.raises(ValidationError) as refused:
        assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=plan.uuid)
    assert refused.value.field == field


def test_one_target_exactly_and_a_short_note(shop):
    tenant, reader = shop
    plan, publication = make_plan(tenant.id), make_publication(tenant.id)
    for targets in ({}, {"plan_uuid": plan.uuid, "publication_uuid": publication.uuid}):
        with pytest.raises(ValidationError):
            assignments.assign(tenant.id, reader.id, ACTOR, **targets)
    with pytest.raises(ValidationError) as refused:
        assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=plan.uuid, note="x" * 501)
    assert refused.value.field == "note"


@pytest.mark.parametrize("source", ["lti", "saml"])
def test_lti_and_saml_grants_carry_the_integration_reference(shop, source):
    tenant, reader = shop
    plan = make_plan(tenant.id)
    order = assignments.assign(
        tenant.id, reader.id, ACTOR, plan_uuid=plan.uuid, source=source, external_reference="r-1"
    )
    assert (order.gateway_type, order.type, order.status) == (source, "permission", "approved")
    assert order.external_reference == "r-1" and order.amount_minor == 0


def test_staff_grants_are_internal(shop):
    tenant, reader = shop
    staff = activity.Actor(label="staff@example.com", is_staff=True)
    order = assignments.assign(
        tenant.id, reader.id, staff, plan_uuid=make_plan(tenant.id).uuid, staff=True
    )
    assert (order.type, order.gateway_type) == ("internal", "manual")
    assert actions(order.uuid)[0].actor_is_staff


def test_record_external_needs_the_feature_unless_staff(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id, type="external", duration_months=12)
    with pytest.raises(PermissionDenied):
        assignments.record_external(tenant.id, reader.id, ACTOR, plan.uuid, "USD", 5000)
    order = assignments.record_external(
        tenant.id, reader.id, ACTOR, plan.uuid, "USD", 5000, "INV-9", staff=True
    )
    assert (order.type, order.gateway_type, order.amount_minor) == (
        "internal_report",
        "external",
        5000,
    )
    assert order.external_reference == "INV-9" and payments(order) == 0


def test_record_external_is_an_approved_report_that_ends_after_the_duration(external_shop):
    tenant, reader = external_shop
    plan = make_plan(tenant.id, type="external", duration_months=3)
    before = utcnow()
    order = assignments.record_external(tenant.id, reader.id, ACTOR, plan.uuid, "usd", 12000)
    [line] = order.lines
    assert (order.type, order.status, order.currency) == ("report", "approved", "USD")
    assert (line.kind, line.price_minor, line.status) == ("external", 12000, "approved")
    assert add_months(before, 3) <= line.expires_at <= add_months(utcnow(), 3)
    assert payments(order) == 0


@pytest.mark.parametrize(
    ("currency", "price", "field"), [("EUR", 100, "currency"), ("USD", 0, "price")]
)
def test_record_external_checks_currency_and_price(external_shop, currency, price, field):
    tenant, reader = external_shop
    plan = make_plan(tenant.id, type="external", duration_months=3)
    with pytest.raises(ValidationError) as refused:
        assignments.record_external(tenant.id, reader.id, ACTOR, plan.uuid, currency, price)
    assert refused.value.field == field


def test_a_used_reference_is_refused(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id)
    assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=plan.uuid, external_reference="A")
    with pytest.raises(Conflict) as refused:
        assignments.assign(
            tenant.id, reader.id, ACTOR, plan_uuid=make_plan(tenant.id).uuid, external_reference="A"
        )
    assert refused.value.field == "external_reference"


def test_cancel_grant_ends_access_now_and_refuses_gateway_lines(shop):
    tenant, reader = shop
    order = assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=make_plan(tenant.id).uuid)
    line = assignments.cancel_grant(order.lines[0], ACTOR, "Left the company")
    assert line.status == "cancelled" and line.access_until <= utcnow()
    assert order.status == "cancelled"
    sale = make_order(tenant.id, reader.id, plan=make_plan(tenant.id))
    with pytest.raises(InvalidState):
        assignments.cancel_grant(sale.lines[0], ACTOR, "No")


def test_user_lines_show_items_sources_and_ends(shop):
    tenant, reader = shop
    publication = make_publication(tenant.id, "Harbour Charts")
    plan = make_plan(tenant.id, name="Gold")
    assignments.assign(tenant.id, reader.id, ACTOR, publication_uuid=publication.uuid)
    granted = assignments.assign(tenant.id, reader.id, ACTOR, plan_uuid=plan.uuid)
    assignments.cancel_grant(granted.lines[0], ACTOR, "Ended")
    make_order(tenant.id, reader.id, plan=make_plan(tenant.id, name="Silver"))
    rows = assignments.user_lines(tenant.id, reader.id)
    assert [(r.item, r.grant) for r in rows] == [
        ("Silver", False),
        ("Gold", True),
        ("Harbour Charts", True),
    ]
    assert rows[1].ends_at == db.session.get(UserPlan, rows[1].line.id).access_until


def test_publication_options_search_titles_from_two_characters(shop):
    tenant, _ = shop
    for n in range(25):
        make_publication(tenant.id, f"Atlas {n:02d}")
    make_publication(tenant.id, "100% Maps")
    assert assignments.publication_options(tenant.id, "a") == []
    found = assignments.publication_options(tenant.id, "atl")
    assert len(found) == 20 and found[0][1] == "Atlas 00"
    assert [t for _, t in assignments.publication_options(tenant.id, "0%")] == ["100% Maps"]


def test_find_users_by_email_prefix(shop, user_factory):
    tenant, reader = shop
    user_factory(tenant=tenant, email="zed@shop.example")
    assert [u.email for u in assignments.find_users(tenant.id, "READ")] == [reader.email]
    assert assignments.find_users(tenant.id, "%") == []
    assert len(assignments.find_users(tenant.id, "")) == 2
