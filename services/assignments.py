"""Orders that do not come from a gateway (spec 30 §8.1, §8.3, §8.4): manual, LTI and SAML
grants, recorded external sales, staff orders, and the look-ups of the user-plans pages."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.activity import Activity
from app.models.base import utcnow
from app.models.catalog import Publication
from app.models.commerce import Order, Plan, UserPlan
from app.models.commerce_enums import GRANT_SOURCES, GatewayType, LineStatus, OrderType, PlanType
from app.models.tenancy import User
from services import activity, currencies, features
from services.catalog.scope import catalog_reads, visible_publication, visible_publications
from services.entitlements import active_line_for
from services.errors import Conflict, InvalidState, NotFound, PermissionDenied, ValidationError
from services.order_state import add_months
from services.orders import LineDraft, OrderDraft, cancel_line, create_order
from services.rows import LIKE_ESCAPE, escape_like
from services.tenancy.resolver import get_tenant

SOURCES = (GatewayType.MANUAL, GatewayType.LTI, GatewayType.SAML)
EXTERNAL_FEATURE = "create_external_plans"
NOTE_MAX = 500
YEARS_AHEAD = 100
OPTIONS_MIN_CHARS, OPTIONS_LIMIT, USERS_LIMIT = 2, 20, 25
STAFF_TYPES = (OrderType.INTERNAL, OrderType.INTERNAL_REPORT)


class AlreadyActive(Conflict):
    """The user already has access to this target; the old line must be cancelled first."""

    def __init__(self, line: UserPlan, tzinfo):
        until = line.expires_at if line.status == LineStatus.APPROVED else line.access_until
        when = f"until {until.astimezone(tzinfo):%Y-%m-%d}" if until else "with no end date"
        field = "plan" if line.plan_id is not None else "publication"
        super().__init__(f"Already active {when}; cancel that line first.", field=field)
        self.line = line


@dataclass(frozen=True)
class LineView:
    """One row of a user's plans page."""

    line: UserPlan
    item: str
    order_uuid: str
    staff: bool
    grant: bool
    ends_at: datetime | None


def check_end(expires_at: datetime, now: datetime, field: str = "expires_at") -> None:
    """An end date is in the future and at most 100 years ahead."""
    if expires_at <= now:
        raise ValidationError("The end date must be in the future.", field=field)
    if expires_at > add_months(now, 12 * YEARS_AHEAD):
        raise ValidationError(f"Choose an end within {YEARS_AHEAD} years.", field=field)


def refuse_if_active(tenant_id: int, user_id: int, *, plan_id=None, publication_id=None) -> None:
    line = active_line_for(tenant_id, user_id, plan_id=plan_id, publication_id=publication_id)
    if line is not None:
        raise AlreadyActive(line, get_tenant(tenant_id).tzinfo)


def find_plan(tenant_id: int, plan_uuid) -> Plan | None:
    try:
        key = plan_uuid if isinstance(plan_uuid, uuid_lib.UUID) else uuid_lib.UUID(str(plan_uuid))
    except ValueError:
        return None
    return db.session.scalar(select(Plan).where(Plan.tenant_id == tenant_id, Plan.uuid == key))


def _live_plan(tenant_id: int, plan_uuid) -> Plan:
    plan = find_plan(tenant_id, plan_uuid)
    if plan is None:
        raise ValidationError("Choose one of your plans.", field="plan")
    if plan.archived_at is not None:
        raise ValidationError("This plan is archived and can no longer be assigned.", "plan")
    return plan


def get_user(tenant_id: int, user_uuid) -> User:
    user = db.session.scalar(
        select(User).where(User.tenant_id == tenant_id, User.uuid == user_uuid)
    )
    if user is None:
        raise NotFound("No such user.")
    return user


def user_by_email(tenant_id: int, email: str) -> User:
    wanted = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.tenant_id == tenant_id, User.email == wanted))
    if user is None:
        raise ValidationError("No user of this store has that email.", field="email")
    return user


def _clean_note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise ValidationError(f"Keep the note under {NOTE_MAX} characters.", field="note")
    return text or None


def _reference_free(tenant_id: int, reference: str | None) -> None:
    text = (reference or "").strip()
    if text and db.session.scalar(
        select(Order.id).where(Order.tenant_id == tenant_id, Order.external_reference == text)
    ):
        raise Conflict("Another order already has this reference.", field="external_reference")


def _keep_note(actor: activity.Actor, order: Order, note: str | None) -> None:
    """The note joins the line's `user_plan.assigned` row, which create_order just wrote."""
    if note is None:
        return
    subject = str(order.lines[0].uuid)
    row = db.session.scalar(
        select(Activity)
        .where(Activity.subject_type == "user_plan", Activity.subject_id == subject)
        .where(Activity.action == "user_plan.assigned")
        .order_by(Activity.id.desc())
    )
    if row is not None:
        row.after = {**(row.after or {}), "note": note}
        return
    noted = {"note": note}
    activity.record(
        actor, "user_plan.noted", "user_plan", subject, tenant_id=order.tenant_id, after=noted
    )


def assign(
    tenant_id: int,
    user_id: int,
    actor: activity.Actor,
    *,
    plan_uuid=None,
    publication_uuid=None,
    expires_at: datetime | None = None,
    note: str | None = None,
    source: str = GatewayType.MANUAL,
    external_reference: str | None = None,
    staff: bool = False,
) -> Order:
    """Grant a plan or a publication at no charge (spec 30 §8.1): an approved `permission`
    order (`internal` for staff) with one line. Prepaid plans end after their duration unless
    an end is chosen; others are open-ended unless one is."""
    if source not in SOURCES:
        raise ValidationError("Unknown assignment source.", field="source")
    note = _clean_note(note)
    if bool(plan_uuid) == bool(publication_uuid):
        raise ValidationError("Choose a plan or a publication.", field="plan")
    now, plan_id, publication_id = utcnow(), None, None
    if plan_uuid:
        plan = _live_plan(tenant_id, plan_uuid)
        if plan.is_external:
            raise ValidationError("External plans are recorded as sales, with a price.", "plan")
        plan_id = plan.id
        if expires_at is None and plan.type == PlanType.PREPAID:
            expires_at = add_months(now, plan.duration_months)
    else:
        found = visible_publication(tenant_id, publication_uuid, live_only=False)
        if found is None:
            raise ValidationError("Choose a publication of your catalogue.", field="publication")
        publication_id = found[0].id
    if expires_at is not None:
        check_end(expires_at, now)
    refuse_if_active(tenant_id, user_id, plan_id=plan_id, publication_id=publication_id)
    _reference_free(tenant_id, external_reference)
    line = LineDraft(user_id, plan_id=plan_id, publication_id=publication_id, expires_at=expires_at)
    order = create_order(
        OrderDraft(
            tenant_id=tenant_id,
            user_id=user_id,
            gateway_type=source,
            lines=(line,),
            actor=actor,
            staff=staff,
            created_by_id=actor.user_id,
            external_reference=external_reference,
        )
    )
    _keep_note(actor, order, note)
    return order


def external_allowed(tenant_id: int) -> bool:
    return features.enabled(tenant_id, EXTERNAL_FEATURE)


def record_external(
    tenant_id: int,
    user_id: int,
    actor: activity.Actor,
    plan_uuid,
    currency: str,
    price_minor: int,
    external_reference: str | None = None,
    staff: bool = False,
) -> Order:
    """A sale made outside the store (spec 30 §8.3): an approved `report` order
    (`internal_report` for staff) at its real amount, ending after the plan's duration. Its
    payment row comes later from PaymentSync."""
    if not staff and not external_allowed(tenant_id):
        raise PermissionDenied("External plans are not part of your platform plan.")
    plan = _live_plan(tenant_id, plan_uuid)
    if not plan.is_external:
        raise ValidationError("Only external plans are recorded as sales.", field="plan")
    code = (currency or "").strip().upper()
    if code not in currencies.tenant_currencies(tenant_id):
        raise ValidationError("Choose one of your store's currencies.", field="currency")
    if isinstance(price_minor, bool) or not isinstance(price_minor, int) or price_minor <= 0:
        raise ValidationError("Enter an amount above 0.", field="price")
    refuse_if_active(tenant_id, user_id, plan_id=plan.id)
    _reference_free(tenant_id, external_reference)
    return create_order(
        OrderDraft(
            tenant_id=tenant_id,
            user_id=user_id,
            gateway_type=GatewayType.EXTERNAL,
            lines=(LineDraft(user_id, plan_id=plan.id, price_minor=price_minor),),
            actor=actor,
            currency=code,
            amount_minor=price_minor,
            staff=staff,
            created_by_id=actor.user_id,
            external_reference=external_reference,
        )
    )


def is_grant(line: UserPlan) -> bool:
    """Manual (also staff), bulk, LTI and SAML lines: cancelled here, never at a gateway."""
    return line.gateway_type in GRANT_SOURCES


def cancel_grant(line: UserPlan, actor: activity.Actor, reason: str) -> UserPlan:
    """End a granted line now (spec 30 §4.3); gateway lines are cancelled from their order."""
    if not is_grant(line):
        raise InvalidState("Lines paid through a gateway are cancelled from their order page.")
    return cancel_line(line, actor, reason, at_gateway=False)


def find_line(tenant_id: int, user_id: int, line_uuid) -> UserPlan:
    line = db.session.scalar(
        select(UserPlan).where(
            UserPlan.tenant_id == tenant_id, UserPlan.user_id == user_id, UserPlan.uuid == line_uuid
        )
    )
    if line is None:
        raise NotFound("No such line.")
    return line


def _titles(tenant_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    with catalog_reads("commerce: titles of a user's publication lines"):
        rows = db.session.execute(visible_publications(tenant_id, ids, live_only=False)).all()
    return {publication.id: publication.title for publication, _ in rows}


def user_lines(tenant_id: int, user_id: int) -> list[LineView]:
    """The user's lines across orders, newest first, with what each gives and when it ends."""
    lines = db.session.scalars(
        select(UserPlan)
        .options(joinedload(UserPlan.order), joinedload(UserPlan.plan))
        .where(UserPlan.tenant_id == tenant_id, UserPlan.user_id == user_id)
        .order_by(UserPlan.created_at.desc(), UserPlan.id.desc())
    ).all()
    titles = _titles(tenant_id, {ln.publication_id for ln in lines if ln.publication_id})
    return [
        LineView(
            line=line,
            item=line.plan.name
            if line.plan is not None
            else titles.get(line.publication_id, "A publication no longer in the catalogue"),
            order_uuid=str(line.order.uuid),
            staff=line.order.type in STAFF_TYPES,
            grant=is_grant(line),
            ends_at=line.access_until if line.status == LineStatus.CANCELLED else line.expires_at,
        )
        for line in lines
    ]


def assignable_plans(tenant_id: int, *, external: bool) -> list[Plan]:
    """Live plans by name; external ones only when they may be recorded here."""
    query = select(Plan).where(Plan.tenant_id == tenant_id, Plan.archived_at.is_(None))
    if not external:
        query = query.where(Plan.type != PlanType.EXTERNAL)
    return list(db.session.scalars(query.order_by(func.lower(Plan.name), Plan.id)))


def publication_options(tenant_id: int, q: str) -> list[tuple[str, str]]:
    """(uuid, title) of up to 20 catalogue items whose title contains `q` (2 characters or
    more), for the assignment autocomplete."""
    text = (q or "").strip()[:200]
    if len(text) < OPTIONS_MIN_CHARS:
        return []
    pattern = f"%{escape_like(text.lower())}%"
    query = (
        visible_publications(tenant_id, live_only=False)
        .where(func.lower(Publication.title).like(pattern, escape=LIKE_ESCAPE))
        .order_by(func.lower(Publication.title), Publication.id)
        .limit(OPTIONS_LIMIT)
    )
    with catalog_reads("commerce: the assignment form's publication choices"):
        rows = db.session.execute(query).all()
    return [(str(publication.uuid), publication.title) for publication, _ in rows]


def find_users(tenant_id: int, prefix: str) -> list[User]:
    """Up to 25 users of the store whose email starts with `prefix`, by email."""
    query = select(User).where(User.tenant_id == tenant_id)
    text = (prefix or "").strip().lower()[:254]
    if text:
        pattern = f"{escape_like(text)}%"
        query = query.where(func.lower(User.email).like(pattern, escape=LIKE_ESCAPE))
    return list(db.session.scalars(query.order_by(User.email).limit(USERS_LIMIT)))
