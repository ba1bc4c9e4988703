"""Custom domains of a tenant: add, remove, make primary (spec 10 §2.2, §10.5)."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.extensions import db
from app.models.tenancy import Domain, Tenant
from services import activity
from services.errors import Conflict, InvalidState, NotFound, ValidationError
from services.rows import insert_or_conflict
from services.settings import platform_domain
from services.tenancy import invalidation
from services.tenancy.hosts import is_valid_host, normalise_custom_host, platform_hosts

MAX_DOMAINS = 20


def list_domains(tenant: Tenant) -> list[Domain]:
    return list(
        db.session.scalars(
            select(Domain)
            .where(Domain.tenant_id == tenant.id)
            .order_by(Domain.is_primary.desc(), Domain.host)
        )
    )


def _get(host: str) -> Domain:
    domain = db.session.scalar(select(Domain).where(Domain.host == host.strip().lower()))
    if domain is None:
        raise NotFound("No such domain.")
    return domain


def add_domain(
    actor: activity.Actor, tenant: Tenant, raw_host: str, primary: bool = False
) -> Domain:
    host = normalise_custom_host(raw_host or "")
    if not is_valid_host(host):
        raise ValidationError("Enter a valid host name such as shop.example.com.", field="host")
    base = platform_domain()
    if host in platform_hosts(base) or host.endswith(f".{base}"):
        raise ValidationError("Hosts of the platform's own domain cannot be added.", field="host")
    count = db.session.scalar(select(func.count()).where(Domain.tenant_id == tenant.id)) or 0
    if count >= MAX_DOMAINS:
        raise ValidationError(f"A tenant can have at most {MAX_DOMAINS} domains.", field="host")
    if db.session.scalar(select(Domain.id).where(Domain.host == host)) is not None:
        raise Conflict("This host is already in use.", field="host")
    domain = Domain(tenant_id=tenant.id, host=host, kind="custom", created_by=actor.user_id)
    insert_or_conflict(domain, message="This host is already in use.", field="host")
    activity.record(
        actor, "domain.added", "domain", host, tenant_id=tenant.id, after={"host": host}
    )
    invalidation.touch(tenant.id, added_hosts=[host])
    if primary:
        set_primary(actor, host)
    return domain


def remove_domain(actor: activity.Actor, host: str) -> None:
    domain = _get(host)
    if domain.kind == "subdomain":
        raise InvalidState("The tenant's own subdomain cannot be removed.")
    if domain.is_primary:
        raise InvalidState("Make another domain primary before removing this one.")
    tenant_id = domain.tenant_id
    db.session.delete(domain)
    db.session.flush()
    activity.record(
        actor,
        "domain.removed",
        "domain",
        domain.host,
        tenant_id=tenant_id,
        before={"host": domain.host},
    )
    invalidation.touch(tenant_id, removed_hosts=[domain.host])


def set_primary(actor: activity.Actor, host: str) -> Domain:
    domain = _get(host)
    if domain.is_primary:
        return domain
    old = db.session.scalar(
        select(Domain.host).where(Domain.tenant_id == domain.tenant_id, Domain.is_primary)
    )
    # Unset first and flush, so the one-primary unique index never sees two.
    db.session.execute(
        update(Domain)
        .where(Domain.tenant_id == domain.tenant_id, Domain.is_primary)
        .values(is_primary=False)
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()
    domain.is_primary = True
    db.session.flush()
    activity.record(
        actor,
        "domain.primary_changed",
        "domain",
        host,
        tenant_id=domain.tenant_id,
        before={"primary": old},
        after={"primary": domain.host},
    )
    invalidation.touch(domain.tenant_id)
    return domain


def tenant_of_host(host: str) -> Tenant:
    return db.session.get(Tenant, _get(host).tenant_id)
