"""Who may read what because of commerce (spec 30 §4.3): access-granting lines, the "already
active" test of assignments, and the provider that tells the catalogue what a reader holds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import Plan, PlanCollection, UserPlan
from app.models.commerce_enums import GRANT_SOURCES, AccessScope, LineKind, LineStatus
from services.catalog import access


def granting(now: datetime):
    """SQL condition of an access-granting line."""
    return or_(
        and_(
            UserPlan.status == LineStatus.APPROVED,
            or_(UserPlan.expires_at.is_(None), UserPlan.expires_at > now),
        ),
        and_(UserPlan.status == LineStatus.CANCELLED, UserPlan.access_until > now),
    )


def line_grants_access(line: UserPlan, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if line.status == LineStatus.APPROVED:
        return line.expires_at is None or line.expires_at > now
    if line.status == LineStatus.CANCELLED:
        return line.access_until is not None and line.access_until > now
    return False


def active_lines(tenant_id: int, user_id: int, now: datetime | None = None) -> list[UserPlan]:
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(UserPlan)
            .where(UserPlan.tenant_id == tenant_id, UserPlan.user_id == user_id, granting(now))
            .order_by(UserPlan.id)
        )
    )


def active_line_for(
    tenant_id: int,
    user_id: int,
    *,
    plan_id: int | None = None,
    publication_id: int | None = None,
    now: datetime | None = None,
) -> UserPlan | None:
    """A line that already gives this user this plan or publication, if any."""
    target = (
        UserPlan.plan_id == plan_id
        if plan_id is not None
        else (UserPlan.publication_id == publication_id)
    )
    now = now or utcnow()
    return db.session.scalars(
        select(UserPlan)
        .where(UserPlan.tenant_id == tenant_id, UserPlan.user_id == user_id, target, granting(now))
        .order_by(UserPlan.id)
    ).first()


def has_access(user, publication) -> bool:
    """Whether `user` may read `publication` in its tenant (free items included)."""
    if user is None or publication is None or user.tenant_id is None:
        return False
    return access.read_access(user.tenant_id, user.id, publication) is not None


PLAN_REASONS = {
    LineKind.RECURRING: "subscription",
    LineKind.PREPAID: "prepaid",
    LineKind.EXTERNAL: "external",
}


def _publication_reason(line: UserPlan) -> tuple[str, str]:
    granted = line.gateway_type in GRANT_SOURCES or line.price_minor == 0
    return ("assigned_issue" if granted else "purchased_issue", str(line.order.uuid))


def grants(tenant_id: int, user_id: int, candidates: frozenset[int] | None) -> access.Grants:
    """The catalogue's access provider (spec 70 §7 reasons): publications bought or assigned,
    whole-catalogue plans, and collection terms of collection-scoped plans."""
    lines = active_lines(tenant_id, user_id)
    publications = {
        line.publication_id: _publication_reason(line)
        for line in lines
        if line.publication_id is not None
        and (candidates is None or line.publication_id in candidates)
    }
    plan_lines = {line.plan_id: line for line in lines if line.plan_id is not None}
    all_catalog = None
    terms: dict[int, tuple[str, str | None]] = {}
    if plan_lines:
        plans = db.session.execute(
            select(Plan.id, Plan.uuid, Plan.access_scope).where(Plan.id.in_(list(plan_lines)))
        ).all()
        reasons = {
            plan_id: (PLAN_REASONS.get(plan_lines[plan_id].kind, "subscription"), str(plan_uuid))
            for plan_id, plan_uuid, _ in plans
        }
        collection_plans = []
        for plan_id, _, scope in plans:
            if scope == AccessScope.ALL and all_catalog is None:
                all_catalog = reasons[plan_id]
            elif scope == AccessScope.COLLECTIONS:
                collection_plans.append(plan_id)
        if collection_plans:
            for plan_id, term_id in db.session.execute(
                select(PlanCollection.plan_id, PlanCollection.collection_id).where(
                    PlanCollection.plan_id.in_(collection_plans)
                )
            ):
                terms.setdefault(term_id, reasons[plan_id])
    return access.Grants(publications=publications, all_catalog=all_catalog, collection_terms=terms)


def granted_anywhere(publication_id: int) -> bool:
    """A publication that any line names directly cannot be deleted (spec 70)."""
    from services.tenancy.context import platform_scope

    with platform_scope("commerce: is a publication sold or assigned anywhere"):
        return (
            db.session.scalar(
                select(UserPlan.id).where(UserPlan.publication_id == publication_id).limit(1)
            )
            is not None
        )


def install() -> None:
    access.register_provider(grants)
    access.register_direct_grant_check(granted_anywhere)
