"""Tenant overrides (spec 20 §2.4): set and remove, each bumping the tenant's version after
commit so every process recomputes only that tenant's map."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow
from app.models.features import Feature, TenantFeature
from app.models.tenancy import Tenant
from services import activity
from services.errors import NotFound, ValidationError
from services.features import values
from services.reasons import require_reason
from services.tenancy import invalidation


def _override_row(tenant: Tenant, feature: Feature) -> TenantFeature | None:
    return db.session.scalar(
        select(TenantFeature).where(
            TenantFeature.tenant_id == tenant.id, TenantFeature.feature_id == feature.id
        )
    )


def set_override(
    actor: activity.Actor,
    tenant: Tenant,
    feature: Feature,
    raw_value,
    reason: str,
    expires_at: datetime | None = None,
) -> TenantFeature:
    value = values.canonical(raw_value, feature.kind)
    reason = require_reason(reason)
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationError("The expiry must be in the future.", field="expires_at")
    row = _override_row(tenant, feature)
    before = _override_snapshot(row)
    if row is None:
        row = TenantFeature(tenant_id=tenant.id, feature_id=feature.id, created_by=actor.user_id)
        db.session.add(row)
    row.value, row.reason, row.expires_at, row.updated_by = value, reason, expires_at, actor.user_id
    db.session.flush()
    activity.record(
        actor,
        "tenant.override_set",
        "tenant",
        tenant.uuid,
        tenant_id=tenant.id,
        before={"feature": feature.slug, **before},
        after={"feature": feature.slug, **_override_snapshot(row)},
    )
    invalidation.touch(tenant.id)
    return row


def remove_override(actor: activity.Actor, tenant: Tenant, feature: Feature, reason: str) -> None:
    reason = require_reason(reason)
    row = _override_row(tenant, feature)
    if row is None:
        raise NotFound(f"No override of {feature.slug} for this tenant.")
    before = _override_snapshot(row)
    db.session.delete(row)
    db.session.flush()
    activity.record(
        actor,
        "tenant.override_removed",
        "tenant",
        tenant.uuid,
        tenant_id=tenant.id,
        before={"feature": feature.slug, **before},
        after={"feature": feature.slug, "value": None, "reason": reason},
    )
    invalidation.touch(tenant.id)


def _override_snapshot(row: TenantFeature | None) -> dict:
    if row is None:
        return {"value": None}
    return {"value": row.value, "reason": row.reason, "expires_at": row.expires_at}


def expire_overrides(now: datetime | None = None) -> dict:
    """Delete overrides past their expiry, each with an activity row by `system` (spec 20 §12).
    Checks already treat them as absent; this only tidies the table and the audit trail."""
    now = now or utcnow()
    due = db.session.execute(
        select(TenantFeature, Feature.slug, Tenant.uuid)
        .join(Feature, Feature.id == TenantFeature.feature_id)
        .join(Tenant, Tenant.id == TenantFeature.tenant_id)
        .where(TenantFeature.expires_at.is_not(None), TenantFeature.expires_at <= now)
        .order_by(TenantFeature.id)
        # A concurrent run skips the rows this one holds, so no override is deleted twice.
        .with_for_update(of=TenantFeature, skip_locked=True)
    ).all()
    touched: set[int] = set()
    for row, slug, tenant_uuid in due:
        before = _override_snapshot(row)
        db.session.delete(row)
        activity.record(
            activity.SYSTEM,
            "tenant.override_expired",
            "tenant",
            tenant_uuid,
            tenant_id=row.tenant_id,
            before={"feature": slug, **before},
            after={"feature": slug, "value": None},
        )
        touched.add(row.tenant_id)
    db.session.flush()
    for tenant_id in sorted(touched):
        invalidation.touch(tenant_id)
    return {"expired": len(due), "tenants": len(touched)}
