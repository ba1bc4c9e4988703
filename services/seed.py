"""Demo data for `make run`, written through the services; running it twice changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.tenancy import Tenant, User
from services import activity, currencies, users
from services.tenancy import tenants as tenant_service
from services.tenancy.context import tenant_scope

PASSWORD = "demo-password"  # noqa: S105 - the documented demo login
SUPER_ADMIN = "staff@example.com"
STAFF = "support@example.com"
TENANTS = (
    # slug, name, status, currency, timezone, locale
    ("demo", "Demo Editions", "active", "USD", "America/New_York", "en"),
    ("acme", "Acme Press", "trial", "ARS", "America/Argentina/Buenos_Aires", "es-AR"),
    ("northwind", "Northwind Quarterly", "suspended", "MXN", "America/Mexico_City", "es-MX"),
)


def _staff(actor, email: str, name: str, super_admin: bool) -> None:
    if db.session.scalar(select(User.id).where(User.email == email, User.tenant_id.is_(None))):
        return
    users.create_staff(actor, email=email, name=name, password=PASSWORD, super_admin=super_admin)


def _tenant(actor, slug, name, status, currency, timezone, locale) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        tenant, _ = tenant_service.create_tenant(
            actor,
            slug=slug,
            name=name,
            status="active" if status == "active" else "trial",
            currency=currency,
            timezone=timezone,
            locale=locale,
        )
        if status == "suspended":
            tenant_service.suspend_tenant(actor, tenant, "Demo: a suspended store")
    return tenant


def _people(actor, tenant: Tenant) -> None:
    with tenant_scope(tenant.id):
        for role in ("admin", "reader"):
            email = f"{role}@{tenant.slug}.example"
            if users.find_by_email(email) is None:
                users.create_user(
                    actor,
                    tenant.id,
                    email=email,
                    name=f"{tenant.name} {role}",
                    role=role,
                    password=PASSWORD,
                )
        db.session.flush()


def seed_demo() -> list[str]:
    """Create what is missing and return the logins to print."""
    actor = activity.Actor(label="seed-demo")
    currencies.seed()
    _staff(actor, SUPER_ADMIN, "Platform Admin", super_admin=True)
    _staff(actor, STAFF, "Support Staff", super_admin=False)
    created = [_tenant(actor, *spec) for spec in TENANTS]
    db.session.flush()
    for tenant in created:
        _people(actor, tenant)
    lines = [f"platform  {SUPER_ADMIN} (super admin), {STAFF}"]
    for tenant in created:
        logins = f"admin@{tenant.slug}.example, reader@{tenant.slug}.example"
        lines.append(f"{tenant.slug:<10}{logins} ({tenant.status})")
    lines.append(f"password  {PASSWORD} for every demo login")
    return lines
