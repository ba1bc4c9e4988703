"""The orders list and one order's page data (spec 30 §10.1-10.2; acceptance 4, 11, 63, 64)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Activity
from app.models.base import utcnow
from app.models.commerce import Order
from services import activity, order_cursor, order_queries, order_review
from services.errors import Conflict, NotFound, ValidationError
from services.features import definitions, grants
from services.order_queries import OrderFilters, list_orders
from services.tenancy import tenant_scope
from tests.support.commerce import approve, make_order, make_plan, make_publication, refund

ACTOR = activity.Actor(label="admin@shop.example")
BASE = datetime(2024, 1, 10, 12, tzinfo=UTC)


def dated(order: Order, when: datetime) -> Order:
    """The order as if created at `when` (created_at is not an immutable column)."""
    order.created_at = when
    db.session.flush()
    return order


def order_at(tenant, user, when: datetime, **fields) -> Order:
    return dated(make_order(tenant.id, user.id, **fields), when)


def uuids(result) -> list[uuid.UUID]:
    return [row.uuid for row in result.rows]


def listed(tenant, **filters) -> list[uuid.UUID]:
    return uuids(list_orders(tenant.id, OrderFilters(**filters)))


def on_external_plan(tenant) -> None:
    """Put the store on a platform plan with `create_external_plans` (platform context)."""
    plan = definitions.create_plan(ACTOR, slug="ext", name="Ext")
    grants.set_grant(ACTOR, plan, definitions.find_feature("create_external_plans"), "enabled")
    grants.assign_plan(ACTOR, tenant, plan)
    db.session.commit()


@pytest.fixture
def external_shop(platform, tenant_factory, user_factory):
    """A store whose platform plan grants external plans, entered as the current tenant."""
    tenant = tenant_factory(status="active")
    on_external_plan(tenant)
    reader = user_factory(tenant=tenant)
    with tenant_scope(tenant.id):
        yield tenant, reader


def insert_paypal_order(tenant, user, plan) -> uuid.UUID:
    """A historical PayPal order and line; the ORM refuses new ones, so raw SQL writes them."""
    order_uuid = uuid.uuid4()
    order_id = db.session.execute(
        text(
            "INSERT INTO orders (uuid, tenant_id, user_id, type, status, gateway_type, sandbox,"
            " currency, amount_minor, created_at, updated_at) VALUES (:u, :t, :user, 'sale',"
            " 'approved', 'paypal', false, 'USD', 900, :at, :at) RETURNING id"
        ),
        {"u": order_uuid, "t": tenant.id, "user": user.id, "at": BASE},
    ).scalar_one()
    db.session.execute(
        text(
            "INSERT INTO users_plans (uuid, tenant_id, order_id, user_id, plan_id, gateway_type,"
            " kind, status, price_minor, currency, interval, interval_count, created_at,"
            " updated_at) VALUES (:u, :t, :o, :user, :p, 'paypal', 'recurring', 'approved', 900,"
            " 'USD', 'month', 1, :at, :at)"
        ),
        {
            "u": uuid.uuid4(),
            "t": tenant.id,
            "o": order_id,
            "user": user.id,
            "p": plan.id,
            "at": BASE,
        },
    )
    return order_uuid


@pytest.fixture
def people(shop, user_factory):
    tenant, reader = shop
    mary = user_factory(tenant=tenant, email="Mary.Stone@example.com")
    return tenant, reader, mary


def test_sandbox_orders_are_hidden_by_default_and_listed_on_request(shop):
    tenant, reader = shop
    live = order_at(tenant, reader, BASE)
    sandbox = order_at(tenant, reader, BASE + timedelta(hours=1), gateway_type="yuno", sandbox=True)
    assert sandbox.sandbox is True
    assert listed(tenant) == [live.uuid]
    assert listed(tenant, sandbox="include") == [sandbox.uuid, live.uuid]
    assert listed(tenant, sandbox="only") == [sandbox.uuid]


def test_status_type_and_source_filters(shop):
    tenant, reader = shop
    pending = order_at(tenant, reader, BASE)
    paid = order_at(tenant, reader, BASE + timedelta(hours=1))
    approve(paid)
    grant = order_at(tenant, reader, BASE + timedelta(hours=2), gateway_type="manual")
    mp = order_at(tenant, reader, BASE + timedelta(hours=3), gateway_type="mercadopago")
    assert set(listed(tenant, statuses=("approved",))) == {paid.uuid, grant.uuid}
    assert set(listed(tenant, statuses=("approved", "pending"))) == {
        pending.uuid,
        paid.uuid,
        grant.uuid,
        mp.uuid,
    }
    assert listed(tenant, type="permission") == [grant.uuid]
    assert listed(tenant, gateway_type="mercadopago") == [mp.uuid]


def test_date_range_is_read_in_the_tenant_time_zone(ctx, tenant_factory, user_factory):
    tenant = tenant_factory(status="active", timezone="America/Argentina/Buenos_Aires")
    reader = user_factory(tenant=tenant)
    with tenant_scope(tenant.id):
        # 02:00 UTC on 1 March is 23:00 on 29 February in Buenos Aires (UTC-3).
        late = order_at(tenant, reader, datetime(2024, 3, 1, 2, tzinfo=UTC))
        march = order_at(tenant, reader, datetime(2024, 3, 1, 4, tzinfo=UTC))
        assert listed(tenant, created_from=date(2024, 3, 1)) == [march.uuid]
        assert listed(tenant, created_to=date(2024, 2, 29)) == [late.uuid]
        both = listed(tenant, created_from=date(2024, 2, 29), created_to=date(2024, 3, 1))
        assert both == [march.uuid, late.uuid]


def test_needs_review_and_stale_pending(shop):
    tenant, reader = shop
    now = utcnow()
    old_pending = order_at(tenant, reader, now - timedelta(days=200))
    young_pending = order_at(tenant, reader, now - timedelta(days=20))
    old_grant = order_at(tenant, reader, now - timedelta(days=300), gateway_type="manual")
    old_grant.review_reason = "approved_after_refunded"
    db.session.flush()
    assert listed(tenant, stale_pending=True) == [old_pending.uuid]
    assert listed(tenant, needs_review=True) == [old_grant.uuid]
    assert young_pending.uuid in listed(tenant)


def test_search_by_uuid_email_prefix_and_reference(people):
    tenant, reader, mary = people
    by_mary = order_at(tenant, mary, BASE, gateway_type="manual", external_reference="INV-7")
    other = order_at(tenant, reader, BASE + timedelta(hours=1))
    other.gateway_key = "sub_123"
    db.session.flush()
    assert listed(tenant, q=str(other.uuid)) == [other.uuid]
    assert listed(tenant, q="mary.stone@") == [by_mary.uuid]
    assert listed(tenant, q="MARY.STONE@EX") == [by_mary.uuid]
    assert listed(tenant, q="mary_stone@") == []  # "_" is a literal, not any character
    assert listed(tenant, q="INV-7") == [by_mary.uuid]
    assert listed(tenant, q="INV") == []  # references match exactly
    assert listed(tenant, q="sub_123") == [other.uuid]


def test_an_email_search_under_three_characters_is_not_applied(people):
    tenant, _, mary = people
    order_at(tenant, mary, BASE, gateway_type="manual")
    result = list_orders(tenant.id, OrderFilters(q="m@"))
    assert result.search_too_short and len(result.rows) == 1


def test_keyset_pages_have_no_duplicates_or_gaps_while_orders_arrive(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id)
    made = [
        order_at(tenant, reader, BASE + timedelta(minutes=n), gateway_type="manual", plan=plan)
        for n in range(120)
    ]
    # Equal timestamps are ordered by id, so ties can not duplicate or drop a row.
    dated(made[10], made[11].created_at)
    first = list_orders(tenant.id, OrderFilters())
    assert len(first.rows) == 50 and first.page.prev_cursor is None
    seen = uuids(first)
    cursor = first.page.next_cursor
    for n in range(3):
        order_at(tenant, reader, utcnow() + timedelta(minutes=n), gateway_type="manual", plan=plan)
        page = list_orders(tenant.id, OrderFilters(), after=cursor)
        seen += uuids(page)
        cursor = page.page.next_cursor
        if cursor is None:
            break
    expected = [o.uuid for o in sorted(made, key=lambda o: (o.created_at, o.id), reverse=True)]
    assert seen == expected


def test_the_before_cursor_returns_the_previous_page(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id)
    for n in range(60):
        order_at(tenant, reader, BASE + timedelta(minutes=n), gateway_type="manual", plan=plan)
    first = list_orders(tenant.id, OrderFilters())
    second = list_orders(tenant.id, OrderFilters(), after=first.page.next_cursor)
    assert len(second.rows) == 10 and second.page.next_cursor is None
    back = list_orders(tenant.id, OrderFilters(), before=second.page.prev_cursor)
    assert uuids(back) == uuids(first) and back.page.prev_cursor is None
    newer = list_orders(tenant.id, OrderFilters(), before=first.page.next_cursor)
    assert uuids(newer) == uuids(first)[:49]
    # Nothing newer than the newest row (the rest was pruned): the first page instead.
    top = first.rows[0]
    cursor = order_cursor.encode(top.created_at, top.id)
    assert uuids(list_orders(tenant.id, OrderFilters(), before=cursor)) == uuids(first)


def test_sort_by_amount_pages_by_amount_then_id(shop):
    tenant, reader = shop
    amounts = [300, 100, 300, 200] * 15
    for n, amount in enumerate(amounts):
        plan = make_plan(tenant.id, prices={"USD": amount})
        order_at(tenant, reader, BASE + timedelta(minutes=n), plan=plan)
    first = list_orders(tenant.id, OrderFilters(sort="amount"))
    rest = list_orders(tenant.id, OrderFilters(sort="amount"), after=first.page.next_cursor)
    values = [row.amount_minor for row in first.rows + rest.rows]
    assert values == sorted(amounts, reverse=True)
    assert len({row.uuid for row in first.rows + rest.rows}) == 60


@pytest.mark.parametrize("cursor", ["%%%", "bm90anNvbg", "WzEsMl0", "WyJ4IiwxXQ", "W251bGwsLTFd"])
def test_a_malformed_cursor_is_a_validation_error(shop, cursor):
    tenant, _ = shop
    with pytest.raises(ValidationError):
        list_orders(tenant.id, OrderFilters(), after=cursor)


@pytest.mark.parametrize(
    "filters",
    [
        {"statuses": ("approved", "lost")},
        {"type": "gift"},
        {"gateway_type": "cash"},
        {"sandbox": "x"},
    ],
)
def test_unknown_filter_values_are_validation_errors(filters):
    with pytest.raises(ValidationError):
        OrderFilters(**filters)


def test_the_count_is_exact_up_to_the_cap(shop, monkeypatch):
    tenant, reader = shop
    plan = make_plan(tenant.id)
    for n in range(4):
        order_at(tenant, reader, BASE + timedelta(minutes=n), gateway_type="manual", plan=plan)
    assert list_orders(tenant.id, OrderFilters()).count_text == "4"
    monkeypatch.setattr(order_queries, "COUNT_CAP", 3)
    result = list_orders(tenant.id, OrderFilters())
    assert result.count_capped and result.count_text == "3+"


@pytest.mark.parametrize("feature", [False, True])
def test_external_orders_show_only_with_create_external_plans(request, feature):
    tenant, reader = request.getfixturevalue("external_shop" if feature else "shop")
    external_plan = make_plan(tenant.id, type="external", duration_months=12)
    external = order_at(tenant, reader, BASE, gateway_type="external", plan=external_plan)
    grant = order_at(tenant, reader, BASE + timedelta(hours=1), gateway_type="manual")
    expected = [grant.uuid, external.uuid] if feature else [grant.uuid]
    assert listed(tenant) == expected
    assert listed(tenant, gateway_type="external") == expected[1:]


def test_rows_carry_the_items_label_net_and_badges(shop):
    tenant, reader = shop
    plans = [make_plan(tenant.id, name="Gold", prices={"USD": 4000}), make_plan(tenant.id)]
    book = make_publication(tenant.id, "Sea Atlas")
    order = make_order(tenant.id, reader.id, plans=plans, publication_id=book.id)
    charge = approve(order, amount=5000).created[0]
    refund(order, charge, 1500)
    single = make_order(tenant.id, reader.id, publication_id=book.id, gateway_type="manual")
    rows = {row.uuid: row for row in list_orders(tenant.id, OrderFilters()).rows}
    assert rows[order.uuid].items == "Gold +2"
    assert rows[order.uuid].net_minor == 3500
    assert rows[single.uuid].items == "Sea Atlas"
    assert rows[single.uuid].net_minor == 0 and not rows[single.uuid].staff


def test_a_historical_paypal_order_lists(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id, name="Legacy")
    paypal = insert_paypal_order(tenant, reader, plan)
    rows = list_orders(tenant.id, OrderFilters()).rows
    assert [(r.uuid, r.gateway_type, r.items) for r in rows] == [(paypal, "paypal", "Legacy")]


def test_another_tenants_order_is_not_found(shop, tenant_factory, user_factory):
    tenant, _ = shop
    other = tenant_factory(status="active")
    stranger = user_factory(tenant=other)
    with tenant_scope(other.id):
        foreign = make_order(other.id, stranger.id, gateway_type="manual")
    assert listed(tenant) == []
    with pytest.raises(NotFound):
        order_review.order_detail(tenant.id, foreign.uuid)
    with pytest.raises(NotFound):
        order_queries.find_order(tenant.id, foreign.uuid)


def test_detail_masks_payload_secrets_and_keeps_voided_rows(shop):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id)
    payload = {"card": {"last4": "4242"}, "Authorization": "Bearer x", "nested": [{"api_token": 1}]}
    charge = approve(order, payload={**payload, "id": "ch_1"}).created[0]
    refund(order, charge, 300)
    charge.deleted_at = utcnow()
    db.session.flush()
    detail = order_review.order_detail(tenant.id, order.uuid)
    first, second = detail.timeline
    assert first.deleted and "4242" not in first.payload and "Bearer" not in first.payload
    assert '"api_token": "••••"' in first.payload and '"id": "ch_1"' in first.payload
    assert second.refers_to_uuid == str(charge.uuid)
    assert detail.balance.total.approved == 0 and detail.balance.total.refunded == 300
    assert not detail.sync_pending


def test_an_external_order_without_rows_is_pending_sync(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id, type="external", duration_months=6)
    order = make_order(tenant.id, reader.id, gateway_type="external", plan=plan)
    assert order_review.order_detail(tenant.id, order.uuid).sync_pending


def test_mark_reviewed_clears_the_reason_once_with_an_activity_row(shop):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id, gateway_type="manual")
    order.review_reason = "amount_mismatch"
    db.session.flush()
    with pytest.raises(Conflict):
        order_review.mark_reviewed(order, ACTOR, seen_reason="approved_after_cancelled")
    assert order_review.mark_reviewed(order, ACTOR, seen_reason="amount_mismatch") is True
    assert order.review_reason is None
    assert db.session.scalar(select(Order.review_reason).where(Order.id == order.id)) is None
    assert order_review.mark_reviewed(order, ACTOR) is False
    rows = db.session.scalars(select(Activity).where(Activity.action == "order.reviewed")).all()
    assert [(r.subject_id, r.before, r.after) for r in rows] == [
        (str(order.uuid), {"review_reason": "amount_mismatch"}, {"review_reason": None})
    ]


def test_order_activity_lists_the_order_and_its_lines(shop):
    tenant, reader = shop
    order = make_order(tenant.id, reader.id, gateway_type="manual")
    page = order_review.order_activity(tenant.id, order)
    actions = sorted(row.action for row in page.rows)
    assert actions == ["order.created", "user_plan.assigned"]
    total = db.session.scalar(select(func.count(Activity.id)))
    assert total >= page.total
