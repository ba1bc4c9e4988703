"""Store plans (spec 30 §2): create, update, archive, unarchive and delete them with their prices
and collections, and the look-ups the dashboard, assignments and checkout share."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import Plan, PlanCollection, PlanPrice, UserPlan
from app.models.commerce_enums import LineStatus, PlanType
from services import activity, features
from services import plan_rules as rules
from services.activity import Actor
from services.currencies import tenant_currencies
from services.errors import InvalidState, NotFound, ValidationError
from services.rows import insert_or_conflict

billing_label = rules.billing_label
collection_terms = rules.collection_terms
# Lines still running: not ended, not waiting for a first payment.
RUNNING_LINES = (LineStatus.APPROVED, LineStatus.PAUSED)


@dataclass(frozen=True)
class PlanRow:
    """A plan of the list with the number of its running lines."""

    plan: Plan
    active_lines: int


# -- look-ups -------------------------------------------------------------------------------


def get_plan(tenant_id: int, plan_uuid, *, include_external: bool = True) -> Plan:
    """The tenant's plan with this uuid (prices loaded), or NotFound; an external plan is
    not found when the caller leaves them out (the tenant lacks the feature)."""
    try:
        key = plan_uuid if isinstance(plan_uuid, uuid_lib.UUID) else uuid_lib.UUID(str(plan_uuid))
    except ValueError:
        raise NotFound("No such plan.") from None
    query = (
        select(Plan)
        .where(Plan.tenant_id == tenant_id, Plan.uuid == key)
        .options(selectinload(Plan.prices))
    )
    plan = db.session.scalar(query)
    if plan is None or (plan.is_external and not include_external):
        raise NotFound("No such plan.")
    return plan


def _plans(tenant_id: int, include_external: bool):
    query = select(Plan).where(Plan.tenant_id == tenant_id).options(selectinload(Plan.prices))
    if not include_external:
        query = query.where(Plan.type != PlanType.EXTERNAL)
    return query.order_by(func.lower(Plan.name), Plan.id)


def plan_list(tenant_id: int, archived: bool, include_external: bool) -> list[PlanRow]:
    """Live or archived plans by name, each with its running lines counted in the same query."""
    now = utcnow()
    running = (
        select(UserPlan.plan_id, func.count(UserPlan.id).label("lines"))
        .where(
            UserPlan.tenant_id == tenant_id,
            UserPlan.plan_id.is_not(None),
            UserPlan.status.in_(RUNNING_LINES),
            or_(UserPlan.expires_at.is_(None), UserPlan.expires_at > now),
        )
        .group_by(UserPlan.plan_id)
        .subquery()
    )
    query = (
        _plans(tenant_id, include_external)
        .add_columns(func.coalesce(running.c.lines, 0))
        .outerjoin(running, running.c.plan_id == Plan.id)
        .where(Plan.archived_at.is_not(None) if archived else Plan.archived_at.is_(None))
    )
    return [PlanRow(plan, int(lines)) for plan, lines in db.session.execute(query)]


def assignable_plans(tenant_id: int, include_external: bool) -> list[Plan]:
    """Plans that may be sold or assigned now: not archived, by name."""
    query = _plans(tenant_id, include_external).where(Plan.archived_at.is_(None))
    return list(db.session.scalars(query))


def has_lines(tenant_id: int, plan_id: int) -> bool:
    """Some line (any status) references the plan: its billing terms are then fixed."""
    query = select(UserPlan.id).where(UserPlan.tenant_id == tenant_id, UserPlan.plan_id == plan_id)
    return db.session.scalar(query.limit(1)) is not None


def collection_ids(tenant_id: int, plan_id: int) -> list[int]:
    query = select(PlanCollection.collection_id).where(
        PlanCollection.tenant_id == tenant_id, PlanCollection.plan_id == plan_id
    )
    return sorted(db.session.scalars(query))


# -- writes ---------------------------------------------------------------------------------


def _clean(tenant_id: int, values: dict, plan: Plan | None) -> dict:
    """Every rule of spec 30 §2.1-2.3 on the merged values; the result is ready to store."""
    terms = rules.clean_terms(values)
    cleaned = {
        "name": rules.clean_name(values.get("name")),
        "details": rules.clean_details(values.get("details")),
        **terms,
        "private": bool(values.get("private")),
        "physical": bool(values.get("physical")),
        "recommended": bool(values.get("recommended")),
        "external_customer": rules.clean_customer(values.get("external_customer"), terms["type"]),
    }
    if terms["type"] == PlanType.EXTERNAL and not features.enabled(
        tenant_id, rules.EXTERNAL_FEATURE
    ):
        raise ValidationError("External plans are not included in your platform plan.", "type")
    if cleaned["physical"]:
        if not (plan is not None and plan.physical) and not features.enabled(
            tenant_id, rules.PHYSICAL_FEATURE
        ):
            raise ValidationError(
                "Physical plans are not included in your platform plan.", "physical"
            )
        rules.check_physical(terms)
    scope, ids = rules.clean_scope(
        tenant_id, values.get("access_scope"), values.get("collection_ids")
    )
    cleaned.update(access_scope=scope, collection_ids=ids)
    # Names are unique among live plans only; an archived plan is checked when it returns.
    live = plan is None or plan.archived_at is None
    if live and rules.name_taken(tenant_id, cleaned["name"], exclude_id=plan.id if plan else None):
        raise ValidationError(f"Another plan is already called {cleaned['name']}.", "name")
    if "prices" in values:
        cleaned["prices"] = rules.clean_prices(tenant_id, values["prices"] or {})
    return cleaned


def _snapshot(plan: Plan, ids: list[int]) -> dict:
    values = {name: getattr(plan, name) for name in rules.COLUMNS}
    return {**values, "collection_ids": ids}


def _prices(plan: Plan) -> dict[str, int]:
    return {row.currency: row.amount_minor for row in plan.prices}


def _set_collections(tenant_id: int, plan: Plan, ids: list[int]) -> None:
    db.session.execute(
        delete(PlanCollection).where(
            PlanCollection.tenant_id == tenant_id, PlanCollection.plan_id == plan.id
        )
    )
    db.session.add_all(
        PlanCollection(tenant_id=tenant_id, plan_id=plan.id, collection_id=i) for i in ids
    )


def _set_prices(tenant_id: int, plan: Plan, amounts: dict[str, int]) -> None:
    rows = {row.currency: row for row in plan.prices}
    for code, row in rows.items():
        if code not in amounts:
            plan.prices.remove(row)
    for code, amount in sorted(amounts.items()):
        if code in rows:
            rows[code].amount_minor = amount
        else:
            plan.prices.append(PlanPrice(tenant_id=tenant_id, currency=code, amount_minor=amount))


def _unknown(values: dict) -> None:
    unknown = set(values) - set(rules.FIELDS)
    if unknown:
        raise TypeError(f"not plan fields: {sorted(unknown)}")


def create_plan(actor: Actor, tenant_id: int, **values) -> Plan:
    """A new plan from `values` (see plan_rules.FIELDS); `prices` maps currency codes to
    minor units (int) or typed major units (text)."""
    _unknown(values)
    cleaned = _clean(tenant_id, {**values, "prices": values.get("prices") or {}}, None)
    amounts, ids = cleaned.pop("prices"), cleaned.pop("collection_ids")
    plan = Plan(tenant_id=tenant_id, **cleaned)
    plan.prices = [
        PlanPrice(tenant_id=tenant_id, currency=c, amount_minor=a)
        for c, a in sorted(amounts.items())
    ]
    insert_or_conflict(plan, message="Another plan already has that name.", field="name")
    _set_collections(tenant_id, plan, ids)
    db.session.flush()
    after = {**_snapshot(plan, ids), "prices": amounts}
    activity.record(actor, "plan.created", "plan", plan.uuid, tenant_id=tenant_id, after=after)
    return plan


def update_plan(actor: Actor, tenant_id: int, plan_uuid, **changes) -> Plan:
    """Change the given fields (absent ones keep their value; `prices` replaces the prices in
    the tenant's enabled currencies). Once a line references the plan its billing terms
    (plan_rules.LOCKED_FIELDS) are read-only."""
    _unknown(changes)
    plan = get_plan(tenant_id, plan_uuid)
    before_ids = collection_ids(tenant_id, plan.id)
    before = _snapshot(plan, before_ids)
    cleaned = _clean(tenant_id, {**before, **changes}, plan)
    amounts, ids = cleaned.pop("prices", None), cleaned.pop("collection_ids")
    moved = [name for name in rules.LOCKED_FIELDS if cleaned[name] != before[name]]
    if moved and has_lines(tenant_id, plan.id):
        raise ValidationError(rules.LOCKED_MESSAGE, field=moved[0])
    old, new = activity.diff(before, {**cleaned, "collection_ids": ids})
    for name, value in cleaned.items():
        setattr(plan, name, value)
    if new:
        # The row first, in a savepoint: a lost race on the name is a Conflict, not a 500.
        insert_or_conflict(plan, message="Another plan already has that name.", field="name")
        activity.record(
            actor, "plan.updated", "plan", plan.uuid, tenant_id=tenant_id, before=old, after=new
        )
    if ids != before_ids:
        _set_collections(tenant_id, plan, ids)
    if amounts is not None:
        # Prices in currencies the tenant no longer enables stay: no form can show them.
        enabled = set(tenant_currencies(tenant_id))
        kept = {code: a for code, a in _prices(plan).items() if code not in enabled}
        _change_prices(actor, tenant_id, plan, {**kept, **amounts})
    db.session.flush()
    return plan


def _change_prices(actor: Actor, tenant_id: int, plan: Plan, amounts: dict[str, int]) -> None:
    """New purchases pay the new prices; lines keep the price they were sold at."""
    before = _prices(plan)
    if before == amounts:
        return
    _set_prices(tenant_id, plan, amounts)
    activity.record(
        actor,
        "plan.prices_changed",
        "plan",
        plan.uuid,
        tenant_id=tenant_id,
        before={"prices": before},
        after={"prices": amounts},
    )


def archive_plan(actor: Actor, tenant_id: int, plan_uuid) -> Plan:
    """Not sold or assignable any more; running lines continue."""
    plan = get_plan(tenant_id, plan_uuid)
    if plan.archived_at is not None:
        raise InvalidState("This plan is already archived.")
    plan.archived_at = utcnow()
    db.session.flush()
    activity.record(
        actor,
        "plan.archived",
        "plan",
        plan.uuid,
        tenant_id=tenant_id,
        before={"archived_at": None},
        after={"archived_at": plan.archived_at},
    )
    return plan


def unarchive_plan(actor: Actor, tenant_id: int, plan_uuid) -> Plan:
    """Back on sale, unless a live plan took its name meanwhile."""
    plan = get_plan(tenant_id, plan_uuid)
    if plan.archived_at is None:
        raise InvalidState("This plan is not archived.")
    if rules.name_taken(tenant_id, plan.name, exclude_id=plan.id):
        raise InvalidState(f"Another plan is called {plan.name}; rename one of them first.")
    archived_at, plan.archived_at = plan.archived_at, None
    insert_or_conflict(plan, message="Another plan already has that name.", field="name")
    activity.record(
        actor,
        "plan.unarchived",
        "plan",
        plan.uuid,
        tenant_id=tenant_id,
        before={"archived_at": archived_at},
        after={"archived_at": None},
    )
    return plan


def delete_plan(actor: Actor, tenant_id: int, plan_uuid) -> None:
    """Only a plan nobody ever bought or received; otherwise archive it."""
    plan = get_plan(tenant_id, plan_uuid)
    if has_lines(tenant_id, plan.id):
        raise InvalidState("This plan has orders, so it cannot be deleted; archive it instead.")
    before = {**_snapshot(plan, collection_ids(tenant_id, plan.id)), "prices": _prices(plan)}
    activity.record(actor, "plan.deleted", "plan", plan.uuid, tenant_id=tenant_id, before=before)
    _set_collections(tenant_id, plan, [])
    db.session.delete(plan)
    db.session.flush()
