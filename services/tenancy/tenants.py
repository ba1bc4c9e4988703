"""Tenant lifecycle: create, edit, suspend, reactivate, trial end, cache purge (spec 10 §10)."""

from __future__ import annotations

import uuid as uuid_lib
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models.base import utcnow
from app.models.gateways import Currency
from app.models.tenancy import Domain, Tenant, User
from services import activity
from services.errors import Conflict, InvalidState, NotFound, QuotaExceeded, ValidationError
from services.reasons import require_reason
from services.rows import LIKE_ESCAPE, Page, escape_like, insert_or_conflict, paginate
from services.settings import platform_domain
from services.tenancy import invalidation
from services.tenancy.hosts import slug_problem, subdomain_host

TENANT_FIELDS = ("name", "timezone", "locale", "default_currency", "trial_ends_at", "status")


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def snapshot(tenant: Tenant) -> dict:
    return {f: getattr(tenant, f) for f in (*TENANT_FIELDS, "platform_plan_id", "status_reason")}


def _validate_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise ValidationError("Enter a name of 1 to 120 characters.", field="name")
    return name


def _validate_settings(timezone: str, locale: str, currency: str) -> None:
    if timezone not in _timezones():
        raise ValidationError("Choose a valid time zone.", field="timezone")
    try:
        Locale.parse(locale, sep="-" if "-" in locale else "_")
    except (ValueError, UnknownLocaleError):
        raise ValidationError("Choose a valid locale.", field="locale") from None
    row = db.session.get(Currency, currency)
    if row is None or not row.enabled_for_pricing:
        raise ValidationError("Choose a currency enabled for pricing.", field="default_currency")


def get_by_uuid(tenant_uuid) -> Tenant:
    try:
        key = (
            tenant_uuid
            if isinstance(tenant_uuid, uuid_lib.UUID)
            else uuid_lib.UUID(str(tenant_uuid))
        )
    except ValueError:
        raise NotFound("No such tenant.") from None
    tenant = db.session.scalar(select(Tenant).where(Tenant.uuid == key))
    if tenant is None:
        raise NotFound("No such tenant.")
    return tenant


def get_by_slug(slug: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound(f"No tenant with slug {slug!r}.")
    return tenant


def list_tenants(search: str = "", status: str = "", page: int = 1) -> Page:
    """Tenants matching a name, slug or host search and a status, 50 per page."""
    query = select(Tenant)
    if status:
        query = query.where(Tenant.status == status)
    term = (search or "").strip().lower()
    if term:
        like = f"%{escape_like(term)}%"
        hosts = select(Domain.tenant_id).where(Domain.host.like(like, escape=LIKE_ESCAPE))
        query = query.where(
            or_(
                func.lower(Tenant.name).like(like, escape=LIKE_ESCAPE),
                Tenant.slug.like(like, escape=LIKE_ESCAPE),
                Tenant.id.in_(hosts),
            )
        )
    return paginate(query, (Tenant.created_at.desc(), Tenant.id.desc()), page)


def slug_availability(slug: str) -> str | None:
    """Why `slug` cannot be used for a new tenant, or None when it is free."""
    slug = (slug or "").strip()
    problem = slug_problem(slug)
    if problem:
        return problem
    if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        return "This slug is taken."
    return None


def create_tenant(
    actor: activity.Actor,
    *,
    slug: str,
    name: str,
    status: str = "trial",
    trial_days: int = 14,
    timezone: str = "UTC",
    locale: str = "en",
    currency: str = "USD",
    platform_plan_id: int | None = None,
    admin_email: str | None = None,
    admin_name: str | None = None,
) -> tuple[Tenant, User | None]:
    """Tenant, its primary subdomain and optionally its first admin, in one transaction."""
    from services import users

    slug = (slug or "").strip()
    problem = slug_problem(slug)
    if problem:
        raise ValidationError(problem, field="slug")
    name = _validate_name(name)
    if status not in ("trial", "active"):
        raise ValidationError("A new tenant starts in trial or active.", field="status")
    if not 1 <= int(trial_days) <= 365:
        raise ValidationError("Trial length must be 1 to 365 days.", field="trial_days")
    _validate_settings(timezone, locale, currency)
    _require_assignable_plan(platform_plan_id)
    if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise Conflict("This slug is taken.", field="slug")
    host = subdomain_host(slug, platform_domain())
    tenant = Tenant(
        slug=slug,
        name=name,
        status=status,
        trial_ends_at=utcnow() + timedelta(days=int(trial_days)) if status == "trial" else None,
        timezone=timezone,
        locale=locale,
        default_currency=currency,
        platform_plan_id=platform_plan_id,
    )
    taken = "This slug or its address is taken."
    insert_or_conflict(tenant, message=taken, field="slug")
    domain = Domain(tenant_id=tenant.id, host=host, kind="subdomain", is_primary=True)
    insert_or_conflict(domain, message=taken, field="slug")
    activity.record(
        actor, "tenant.created", "tenant", tenant.uuid, tenant_id=tenant.id, after=snapshot(tenant)
    )
    admin = None
    if admin_email:
        # The first admin counts toward admin_limit like any other (spec 10 §10 item 1); the
        # quota reads this transaction, so it sees the tenant inserted above.
        try:
            admin = users.create_user(
                actor, tenant.id, email=admin_email, name=admin_name or admin_email, role="admin"
            )
        except QuotaExceeded as refusal:
            refusal.field = "admin_email"
            raise
    invalidation.register(db.session, "host", host=host)
    return tenant, admin


def _require_assignable_plan(platform_plan_id: int | None) -> None:
    from app.models.features import PlatformPlan

    if platform_plan_id is None:
        return
    plan = db.session.get(PlatformPlan, platform_plan_id)
    if plan is None or not plan.is_active:
        raise ValidationError(
            "Choose an active platform plan (an inactive one cannot be newly assigned).",
            field="platform_plan",
        )


def update_tenant(actor: activity.Actor, tenant: Tenant, **changes) -> Tenant:
    """Edit name, time zone, locale, currency or trial end; bumps the version (I5)."""
    before = snapshot(tenant)
    name = _validate_name(changes.get("name", tenant.name))
    timezone = changes.get("timezone", tenant.timezone)
    locale = changes.get("locale", tenant.locale)
    currency = changes.get("default_currency", tenant.default_currency)
    _validate_settings(timezone, locale, currency)
    trial_ends_at = changes.get("trial_ends_at", tenant.trial_ends_at)
    if tenant.status == "trial" and trial_ends_at is None:
        raise ValidationError("A tenant in trial needs a trial end.", field="trial_ends_at")
    tenant.name, tenant.timezone, tenant.locale = name, timezone, locale
    tenant.default_currency, tenant.trial_ends_at = currency, trial_ends_at
    _finish_change(actor, tenant, "tenant.updated", before)
    return tenant


def _finish_change(actor: activity.Actor, tenant: Tenant, action: str, before: dict) -> None:
    db.session.flush()
    old, new = activity.diff(before, snapshot(tenant))
    invalidation.touch(tenant.id)
    activity.record(
        actor, action, "tenant", tenant.uuid, tenant_id=tenant.id, before=old, after=new
    )


def suspend_tenant(actor: activity.Actor, tenant: Tenant, reason: str) -> Tenant:
    reason = require_reason(reason)
    if tenant.status == "suspended":
        raise InvalidState("This tenant is already suspended.")
    before = snapshot(tenant)
    tenant.status, tenant.status_reason, tenant.suspended_at = "suspended", reason, utcnow()
    _finish_change(actor, tenant, "tenant.suspended", before)
    return tenant


def reactivate_tenant(
    actor: activity.Actor,
    tenant: Tenant,
    reason: str,
    status: str = "active",
    trial_ends_at: datetime | None = None,
) -> Tenant:
    reason = require_reason(reason)
    if tenant.status != "suspended":
        raise InvalidState("Only a suspended tenant can be reactivated.")
    if status not in ("active", "trial"):
        raise ValidationError("Reactivate to active or trial.", field="status")
    if status == "trial" and (trial_ends_at is None or trial_ends_at <= utcnow()):
        raise ValidationError("A trial needs a future end date.", field="trial_ends_at")
    before = snapshot(tenant)
    tenant.status, tenant.status_reason, tenant.suspended_at = status, reason, None
    tenant.trial_ends_at = trial_ends_at if status == "trial" else tenant.trial_ends_at
    _finish_change(actor, tenant, "tenant.reactivated", before)
    return tenant


def end_trials(now: datetime | None = None) -> dict:
    """Trials past their end become active (with a platform plan) or suspended (without)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Tenant).where(Tenant.status == "trial", Tenant.trial_ends_at <= now)
    ).all()
    counts = {"examined": len(due), "updated": 0}
    for tenant in due:
        before = snapshot(tenant)
        if tenant.platform_plan_id is not None:
            tenant.status = "active"
        else:
            tenant.status, tenant.suspended_at = "suspended", now
            tenant.status_reason = "Trial ended without a platform plan"
        _finish_change(activity.SYSTEM, tenant, "tenant.trial_ended", before)
        counts["updated"] += 1
    return counts


def purge_cache(actor: activity.Actor, tenant: Tenant) -> None:
    invalidation.register(db.session, "tenant", tenant_id=tenant.id)
    activity.record(actor, "tenant.cache_purged", "tenant", tenant.uuid, tenant_id=tenant.id)


def people(tenant: Tenant) -> dict:
    """Admins (listed) and readers (counted) of a tenant, read in that tenant's scope."""
    from services.tenancy.context import tenant_scope

    with tenant_scope(tenant.id):
        admins = list(
            db.session.scalars(select(User).where(User.role == "admin").order_by(User.email))
        )
        readers = db.session.scalar(select(func.count(User.id)).where(User.role == "reader")) or 0
    return {"admins": admins, "readers": readers}
