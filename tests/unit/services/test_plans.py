"""Store plans (spec 30 §2; acceptance 1-7): the type rules, trial, physical and external
gates, unique names, details, prices, collections, lines locking the billing terms, archive and
delete, activity rows and the list queries."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, inspect, select

from app.extensions import db
from app.models import Activity
from app.models.commerce import Plan, PlanCollection, PlanPrice, UserPlan
from app.models.gateways import PaymentSettings
from services import plans
from services.catalog import taxonomies
from services.errors import InvalidState, NotFound, ValidationError
from services.features import definitions, grants
from services.tenancy import tenant_scope
from tests.factories import ACTOR, UserFactory
from tests.support.commerce import make_order

MONTHLY = {"name": "Monthly", "type": "recurring", "interval": "month", "interval_count": 1}
PREPAID = {"name": "Year pass", "type": "prepaid", "duration_months": 12}
EXTERNAL = {"name": "Campus", "type": "external", "duration_months": 12}
FEATURES = ("create_external_plans", "physicals_goods")


def _store(tenant_factory, granted: tuple[str, ...]):
    tenant = tenant_factory(status="active")
    plan = definitions.create_plan(ACTOR, slug=f"p{secrets.token_hex(4)}", name="Commerce")
    for slug in granted:
        grants.set_grant(ACTOR, plan, definitions.find_feature(slug), "enabled")
    grants.assign_plan(ACTOR, tenant, plan)
    db.session.commit()
    return tenant


@pytest.fixture
def store(platform, tenant_factory):
    """A tenant whose platform plan includes external plans and physical goods."""
    return _store(tenant_factory, FEATURES)


@pytest.fixture
def bare(platform, tenant_factory):
    """A tenant without either commerce feature."""
    return _store(tenant_factory, ())


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def actions() -> list[str]:
    query = select(Activity.action).where(Activity.subject_type == "plan").order_by(Activity.id)
    return list(db.session.scalars(query))


def refused(tenant, field: str, **values) -> ValidationError:
    with tenant_scope(tenant.id), pytest.raises(ValidationError) as caught:
        plans.create_plan(ACTOR, tenant.id, **values)
    assert caught.value.field == field, caught.value.message
    with tenant_scope(tenant.id):
        assert count(Plan) == 0
    return caught.value


def line_for(tenant, plan, gateway_type="manual"):
    """An order line referencing `plan` (a grant, or a pending stripe sale at the plan price)."""
    user = UserFactory(tenant=tenant)
    with tenant_scope(tenant.id):
        order = make_order(tenant.id, user.id, gateway_type=gateway_type, plan=plan)
        db.session.commit()
        return order.lines[0]


# -- acceptance 1-5: the shape of a plan -----------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "A", "type": "recurring", "interval_count": 1}, "interval"),
        ({"name": "A", "type": "recurring", "interval": "month"}, "interval_count"),
        ({"name": "A", "type": "prepaid"}, "duration_months"),
        ({**MONTHLY, "duration_months": 12}, "duration_months"),
        ({**PREPAID, "interval": "month"}, "interval"),
        ({**MONTHLY, "interval_count": 13}, "interval_count"),
        ({**MONTHLY, "interval_count": 0}, "interval_count"),
        ({**MONTHLY, "interval": "year", "interval_count": 2}, "interval_count"),
        ({**MONTHLY, "interval": "week"}, "interval"),
        ({**PREPAID, "duration_months": 0}, "duration_months"),
        ({**PREPAID, "duration_months": 121}, "duration_months"),
        ({**PREPAID, "duration_months": "twelve"}, "duration_months"),
        ({**MONTHLY, "type": "lifetime"}, "type"),
        ({**MONTHLY, "name": "   "}, "name"),
        ({**MONTHLY, "name": "x" * 121}, "name"),
        ({**MONTHLY, "access_scope": "some"}, "access_scope"),
        ({**MONTHLY, "external_customer": "Uni"}, "external_customer"),
    ],
)
def test_type_dependent_fields_are_checked_with_a_field_error(store, values, field):
    refused(store, field, **values)


@pytest.mark.parametrize(
    ("values", "trial"),
    [({**PREPAID, "free_trial_days": 7}, None), ({**MONTHLY, "free_trial_days": 366}, None)],
)
def test_a_trial_is_for_recurring_plans_and_at_most_a_year(store, values, trial):
    refused(store, "free_trial_days", **values)


def test_a_recurring_plan_with_a_trial_and_the_yearly_edges_are_accepted(store):
    with tenant_scope(store.id):
        trial = plans.create_plan(ACTOR, store.id, **{**MONTHLY, "free_trial_days": "14"})
        yearly = plans.create_plan(
            ACTOR, store.id, name="Annual", type="recurring", interval="year", interval_count=1
        )
        every_12 = plans.create_plan(
            ACTOR, store.id, **{**MONTHLY, "name": "M", "interval_count": 12}
        )
        long = plans.create_plan(ACTOR, store.id, **{**PREPAID, "duration_months": 120})
        assert trial.free_trial_days == 14 and trial.duration_months is None
        assert (yearly.interval, yearly.interval_count) == ("year", 1)
        assert every_12.interval_count == 12 and long.duration_months == 120
        assert long.interval is None and long.interval_count is None


@pytest.mark.parametrize(
    "values",
    [
        {**MONTHLY, "interval_count": 3},
        {**PREPAID, "duration_months": 6},
        {**EXTERNAL},
    ],
)
def test_a_physical_plan_covers_one_or_twelve_shipments(store, values):
    error = refused(store, "physical", **values, physical=True)
    assert "1 or 12 months" in error.message


def test_physical_monthly_yearly_and_twelve_month_prepaid_plans_are_accepted(store):
    with tenant_scope(store.id):
        prepaid = plans.create_plan(ACTOR, store.id, **PREPAID, physical=True)
        monthly = plans.create_plan(ACTOR, store.id, **MONTHLY, physical=True)
        one = plans.create_plan(
            ACTOR, store.id, name="One", type="prepaid", duration_months=1, physical=True
        )
        assert prepaid.physical and monthly.physical and one.physical


def test_without_physical_goods_no_plan_becomes_physical(bare):
    error = refused(bare, "physical", **PREPAID, physical=True)
    assert "not included" in error.message


def test_external_plans_need_their_feature(store, bare):
    error = refused(bare, "type", **EXTERNAL)
    assert "not included" in error.message
    with tenant_scope(store.id):
        plan = plans.create_plan(ACTOR, store.id, **EXTERNAL, external_customer=" Big  Uni ")
        assert plan.is_external and plan.external_customer == "Big Uni"
        assert plans.billing_label(plan) == "12 months (external)"


def test_is_external_is_a_property_and_no_column(store):
    assert "is_external" not in {c.name for c in Plan.__table__.columns}
    assert "is_external" not in inspect(db.engine).get_columns("plans")
    with tenant_scope(store.id):
        for values in (MONTHLY, PREPAID, EXTERNAL):
            plan = plans.create_plan(ACTOR, store.id, **values)
            assert plan.is_external is (plan.type == "external")


@pytest.mark.parametrize(
    ("values", "label"),
    [
        (MONTHLY, "monthly"),
        ({**MONTHLY, "interval_count": 3}, "every 3 months"),
        ({**MONTHLY, "interval": "year"}, "annual"),
        (PREPAID, "12 months prepaid"),
        ({**PREPAID, "duration_months": 1}, "1 month prepaid"),
        (EXTERNAL, "12 months (external)"),
    ],
)
def test_billing_labels(values, label):
    assert plans.billing_label(Plan(**values)) == label


# -- names, details, prices, collections -----------------------------------------------------


def test_names_are_unique_among_live_plans_ignoring_case(store):
    with tenant_scope(store.id):
        first = plans.create_plan(ACTOR, store.id, **{**MONTHLY, "name": "Gold"})
        with pytest.raises(ValidationError) as caught:
            plans.create_plan(ACTOR, store.id, **{**PREPAID, "name": " gold "})
        assert caught.value.field == "name" and "already called" in caught.value.message
        other = plans.create_plan(ACTOR, store.id, **{**PREPAID, "name": "Silver"})
        with pytest.raises(ValidationError):
            plans.update_plan(ACTOR, store.id, other.uuid, name="GOLD")
        plans.archive_plan(ACTOR, store.id, first.uuid)
        again = plans.create_plan(ACTOR, store.id, **{**PREPAID, "name": "gold"})
        with pytest.raises(InvalidState) as blocked:
            plans.unarchive_plan(ACTOR, store.id, first.uuid)
        assert "rename" in blocked.value.message
        plans.update_plan(ACTOR, store.id, first.uuid, name="Gold")  # archived: no clash
        plans.update_plan(ACTOR, store.id, again.uuid, name="Gold 2")
        plans.unarchive_plan(ACTOR, store.id, first.uuid)
        assert first.archived_at is None


def test_details_are_sanitised_and_limited(store):
    refused(store, "details", **MONTHLY, details="<p>" + "a" * 10_001 + "</p>")
    with tenant_scope(store.id):
        plan = plans.create_plan(
            ACTOR,
            store.id,
            **MONTHLY,
            details='<p onclick="x()">Read <strong>all</strong><script>alert(1)</script></p>',
        )
        assert plan.details == "<p>Read <strong>all</strong></p>"
        assert plans.update_plan(ACTOR, store.id, plan.uuid, details="  ").details is None


def enable(tenant, *codes):
    with tenant_scope(tenant.id):
        db.session.add(PaymentSettings(tenant_id=tenant.id, currencies=list(codes)))
        db.session.commit()


def test_prices_use_the_tenants_currencies_and_their_exponents(store):
    enable(store, "USD", "CLP")
    with tenant_scope(store.id):
        plan = plans.create_plan(ACTOR, store.id, **MONTHLY, prices={"usd": "12.50", "CLP": "9900"})
        assert [(p.currency, p.amount_minor) for p in plan.prices] == [
            ("CLP", 9900),
            ("USD", 1250),
        ]
        plans.update_plan(ACTOR, store.id, plan.uuid, prices={"USD": 1999, "CLP": ""})
        assert [(p.currency, p.amount_minor) for p in plan.prices] == [("USD", 1999)]
        assert count(PlanPrice) == 1


@pytest.mark.parametrize(
    ("prices", "field", "message"),
    [
        ({"EUR": "10"}, "price_eur", "not enabled"),
        ({"USD": "12.505"}, "price_usd", "at most 2 decimals"),
        ({"CLP": "10.5"}, "price_clp", "at most 0 decimals"),
        ({"USD": "0"}, "price_usd", "above 0"),
        ({"USD": "-3"}, "price_usd", "above 0"),
        ({"USD": "ten"}, "price_usd", "number"),
        ({"USD": 0}, "price_usd", "above 0"),
        ({"USD": 9.99}, "price_usd", "amount"),
    ],
)
def test_bad_prices_are_field_errors_and_write_nothing(store, prices, field, message):
    enable(store, "USD", "CLP")
    error = refused(store, field, **MONTHLY, prices=prices)
    assert message in error.message
    with tenant_scope(store.id):
        assert count(PlanPrice) == 0


def collections(tenant, *names):
    with tenant_scope(tenant.id):
        group = taxonomies.create_taxonomy(
            ACTOR, tenant.id, name="Collections", slug="collections", is_collection=True
        )
        genre = taxonomies.create_taxonomy(ACTOR, tenant.id, name="Genre", slug="genre")
        terms = [taxonomies.create_term(ACTOR, tenant.id, group.uuid, name=n) for n in names]
        other = taxonomies.create_term(ACTOR, tenant.id, genre.uuid, name="Poetry")
        db.session.commit()
        return [t.id for t in terms], other.id


def test_a_collections_scope_lists_collection_terms(store):
    (kids, science), poetry = collections(store, "Kids", "Science")
    refused(store, "collection_ids", **MONTHLY, access_scope="collections")
    refused(store, "collection_ids", **MONTHLY, access_scope="collections", collection_ids=[poetry])
    with tenant_scope(store.id):
        plan = plans.create_plan(
            ACTOR, store.id, **MONTHLY, access_scope="collections", collection_ids=[str(kids)]
        )
        assert plans.collection_ids(store.id, plan.id) == [kids]
        assert [t.id for t in plans.collection_terms(store.id)] == [kids, science]
        plans.update_plan(ACTOR, store.id, plan.uuid, collection_ids=[kids, science])
        assert plans.collection_ids(store.id, plan.id) == [kids, science]
        plans.update_plan(ACTOR, store.id, plan.uuid, access_scope="all")
        assert plan.access_scope == "all" and count(PlanCollection) == 0


def test_another_tenants_collection_is_refused(store, bare):
    (theirs,), _ = collections(bare, "Theirs")
    refused(store, "collection_ids", **MONTHLY, access_scope="collections", collection_ids=[theirs])


def test_unknown_fields_are_a_programming_error(store):
    with tenant_scope(store.id), pytest.raises(TypeError):
        plans.create_plan(ACTOR, store.id, **MONTHLY, colour="red")


# -- acceptance 6-7: lines lock the billing terms; archive, delete -------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interval": "year"}, "interval"),
        ({"interval_count": 2}, "interval_count"),
        (
            {"type": "prepaid", "interval": None, "interval_count": None, "duration_months": 1},
            "type",
        ),
        ({"physical": True}, "physical"),
    ],
)
def test_a_plan_with_a_line_keeps_its_billing_terms(store, change, field):
    with tenant_scope(store.id):
        plan = plans.create_plan(ACTOR, store.id, **MONTHLY)
        db.session.commit()
    line_for(store, plan)
    with tenant_scope(store.id):
        with pytest.raises(ValidationError) as caught:
            plans.update_plan(ACTOR, store.id, plan.uuid, **change)
        assert caught.value.field == field and "create a new plan" in caught.value.message
        db.session.rollback()
        fresh = plans.get_plan(store.id, plan.uuid)
        assert (fresh.type, fresh.interval, fresh.interval_count, fresh.physical) == (
            "recurring",
            "month",
            1,
            False,
        )


def test_prices_and_names_stay_editable_and_lines_keep_their_price(store):
    with tenant_scope(store.id):
        plan = plans.create_plan(ACTOR, store.id, **MONTHLY, prices={"USD": 1000})
        db.session.commit()
    line = line_for(store, plan, gateway_type="stripe")
    with tenant_scope(store.id):
        plans.update_plan(
            ACTOR, store.id, plan.uuid, name="Monthly plus", free_trial_days=7, prices={"USD": 1500}
        )
        db.session.commit()
        plan = plans.get_plan(store.id, plan.uuid)
        assert [(p.currency, p.amount_minor) for p in plan.prices] == [("USD", 1500)]
        assert db.session.get(UserPlan, line.id).price_minor == 1000
        assert plan.name == "Monthly plus" and plan.free_trial_days == 7


def test_a_plan_with_lines_is_archived_not_deleted(store):
    with tenant_scope(store.id):
        plan = plans.create_plan(ACTOR, store.id, **MONTHLY)
        db.session.commit()
    line_for(store, plan)
    with tenant_scope(store.id):
        with pytest.raises(InvalidState) as caught:
            plans.delete_plan(ACTOR, store.id, plan.uuid)
        assert "archive it instead" in caught.value.message
        assert [p.id for p in plans.assignable_plans(store.id, True)] == [plan.id]
        plans.archive_plan(ACTOR, store.id, plan.uuid)
        assert plans.assignable_plans(store.id, True) == []
        with pytest.raises(InvalidState):
            plans.archive_plan(ACTOR, store.id, plan.uuid)
        [row] = plans.plan_list(store.id, archived=True, include_external=True)
        assert row.plan.id == plan.id and row.active_lines == 1
        plans.unarchive_plan(ACTOR, store.id, plan.uuid)
        assert [p.id for p in plans.assignable_plans(store.id, True)] == [plan.id]
        assert count(Plan) == 1


def test_a_plan_without_lines_is_deleted_with_its_prices_and_collections(store):
    (kids,), _ = collections(store, "Kids")
    with tenant_scope(store.id):
        plan = plans.create_plan(
            ACTOR,
            store.id,
            **MONTHLY,
            prices={"USD": 1000},
            access_scope="collections",
            collection_ids=[kids],
        )
        plans.delete_plan(ACTOR, store.id, plan.uuid)
        assert (count(Plan), count(PlanPrice), count(PlanCollection)) == (0, 0, 0)
        with pytest.raises(NotFound):
            plans.get_plan(store.id, plan.uuid)


def test_every_change_writes_its_activity_row(store):
    with tenant_scope(store.id):
        plan = plans.create_plan(ACTOR, store.id, **MONTHLY, prices={"USD": 1000})
        plans.update_plan(ACTOR, store.id, plan.uuid, name="Renamed", prices={"USD": 1000})
        plans.update_plan(ACTOR, store.id, plan.uuid, prices={"USD": 1200})
        plans.update_plan(ACTOR, store.id, plan.uuid, name="Renamed")  # no change, no row
        plans.archive_plan(ACTOR, store.id, plan.uuid)
        plans.unarchive_plan(ACTOR, store.id, plan.uuid)
        plans.delete_plan(ACTOR, store.id, plan.uuid)
        assert actions() == [
            "plan.created",
            "plan.updated",
            "plan.prices_changed",
            "plan.archived",
            "plan.unarchived",
            "plan.deleted",
        ]
        rows = {row.action: row for row in db.session.scalars(select(Activity))}
        assert rows["plan.created"].after["prices"] == {"USD": 1000}
        assert rows["plan.updated"].before == {"name": "Monthly"}
        assert rows["plan.updated"].after == {"name": "Renamed"}
        assert rows["plan.prices_changed"].before == {"prices": {"USD": 1000}}
        assert rows["plan.prices_changed"].after == {"prices": {"USD": 1200}}
        assert rows["plan.deleted"].before["name"] == "Renamed"


# -- look-ups ---------------------------------------------------------------------------------


def test_plan_list_counts_running_lines_in_one_query(store):
    from tests.support.counting import count_queries

    with tenant_scope(store.id):
        monthly = plans.create_plan(ACTOR, store.id, **MONTHLY, prices={"USD": 1000})
        plans.create_plan(ACTOR, store.id, **PREPAID)
        external = plans.create_plan(ACTOR, store.id, **EXTERNAL)
        db.session.commit()
    line_for(store, monthly)
    line_for(store, monthly)
    line_for(store, monthly, gateway_type="stripe")  # pending: not running
    with tenant_scope(store.id):
        db.session.expunge_all()
        with count_queries() as statements:
            rows = plans.plan_list(store.id, archived=False, include_external=True)
            prices = [[p.amount_minor for p in row.plan.prices] for row in rows]
        assert len(statements) == 2  # the plans with their counts, then every price at once
        assert [(r.plan.name, r.active_lines) for r in rows] == [
            ("Campus", 0),
            ("Monthly", 2),
            ("Year pass", 0),
        ]
        assert prices == [[], [1000], []]
        hidden = plans.plan_list(store.id, archived=False, include_external=False)
        assert external.id not in [r.plan.id for r in hidden] and len(hidden) == 2
        assert plans.plan_list(store.id, archived=True, include_external=True) == []
        assert external.id not in [p.id for p in plans.assignable_plans(store.id, False)]


def test_get_plan_answers_only_the_tenants_own_plans(store, bare):
    with tenant_scope(store.id):
        plan = plans.create_plan(ACTOR, store.id, **EXTERNAL)
        db.session.commit()
        assert plans.get_plan(store.id, str(plan.uuid)).id == plan.id
        with pytest.raises(NotFound):
            plans.get_plan(store.id, plan.uuid, include_external=False)
        with pytest.raises(NotFound):
            plans.get_plan(store.id, "not-a-uuid")
    with tenant_scope(bare.id), pytest.raises(NotFound):
        plans.get_plan(bare.id, plan.uuid)
