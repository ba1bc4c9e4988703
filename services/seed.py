"""Demo data for `make run`, written through the services; running it twice changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.features import Feature, PlatformPlan, TenantFeature
from app.models.tenancy import Tenant, User
from services import activity, currencies, seed_catalog, seed_commerce, users
from services.features import definitions, grants, overrides, versions
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
# Demo platform plans of spec 20 §4.2: slug, name, grants (seed data, not rules).
PLANS = (
    (
        "starter",
        "Starter",
        {"admin_limit": "2", "issues_limit": "100"},
    ),
    (
        "growth",
        "Growth",
        {
            "admin_limit": "5",
            "issues_limit": "1000",
            "discount_coupons": "enabled",
            "maximum_discount_coupon_amount_limit": "80",
            "yuno_checkout_enabled": "enabled",
            "consumption_api": "enabled",
        },
    ),
    (
        "enterprise",
        "Enterprise",
        {
            "admin_limit": "unlimited",
            "issues_limit": "unlimited",
            "discount_coupons": "enabled",
            "maximum_discount_coupon_amount_limit": "100",
            "automations": "enabled",
            "create_external_plans": "enabled",
            "yuno_checkout_enabled": "enabled",
            "physicals_goods": "enabled",
            "shipping_by_province": "enabled",
            "consumption_api": "enabled",
        },
    ),
)
# Trial access of §4.2: feature slug -> trial_value (None for booleans).
TRIAL_ACCESS = {
    "admin_limit": "2",
    "issues_limit": "25",
    "discount_coupons": None,
    "maximum_discount_coupon_amount_limit": "50",
}
# Spec 10 §12: demo is active on enterprise, acme on trial on growth, the suspended one on starter.
TENANT_PLANS = {"demo": "enterprise", "acme": "growth", "northwind": "starter"}
# tenant slug -> (feature, value, reason)
DEMO_OVERRIDES = {"acme": ("automations", "enabled", "Pilot customer for automations")}


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


def _plans(actor) -> tuple[dict[str, PlatformPlan], bool]:
    """The demo plans with their grants, created once; a plan that exists is left as it is.
    Returns every plan by slug and whether this run created any."""
    found = {p.slug: p for p in db.session.scalars(select(PlatformPlan))}
    created = False
    for position, (slug, name, granted) in enumerate(PLANS):
        if slug in found:
            continue
        plan = found[slug] = definitions.create_plan(actor, slug=slug, name=name, position=position)
        for feature_slug, value in granted.items():
            grants.set_grant(actor, plan, definitions.find_feature(feature_slug), value)
        created = True
    return found, created


def _trial_settings(actor) -> None:
    """Trial access of §4.2, with the plans' first seeding and only on features still at their
    defaults: a later run never redoes what staff have since undone or changed."""
    for slug, trial_value in TRIAL_ACCESS.items():
        feature = db.session.scalar(select(Feature).where(Feature.slug == slug))
        if feature is None or feature.accessible_during_trial or feature.trial_value is not None:
            continue
        definitions.update_feature(
            actor, feature, accessible_during_trial=True, trial_value=trial_value
        )


def _platform_plan(actor, tenant: Tenant, plans: dict[str, PlatformPlan]) -> None:
    """A tenant without a platform plan gets its demo plan and demo override (first run only:
    a plan or override staff changed later is theirs)."""
    if tenant.platform_plan_id is not None:
        return
    grants.assign_plan(actor, tenant, plans[TENANT_PLANS[tenant.slug]])
    if tenant.slug not in DEMO_OVERRIDES:
        return
    slug, value, reason = DEMO_OVERRIDES[tenant.slug]
    feature = definitions.find_feature(slug)
    exists = db.session.scalar(
        select(TenantFeature.id).where(
            TenantFeature.tenant_id == tenant.id, TenantFeature.feature_id == feature.id
        )
    )
    if exists is None:
        overrides.set_override(actor, tenant, feature, value, reason)


def seed_demo() -> list[str]:
    """Create what is missing and return the logins to print."""
    actor = activity.Actor(label="seed-demo")
    currencies.seed()
    versions.sync_catalog()  # the catalog rows the plans' grants refer to
    _staff(actor, SUPER_ADMIN, "Platform Admin", super_admin=True)
    _staff(actor, STAFF, "Support Staff", super_admin=False)
    plans, first_seeding = _plans(actor)
    if first_seeding:
        _trial_settings(actor)
    created = [_tenant(actor, *spec) for spec in TENANTS]
    db.session.flush()
    for index, tenant in enumerate(created):
        # Each scope switch empties the session (no row crosses tenants): load the tenant again.
        tenant = created[index] = db.session.get(Tenant, tenant.id)
        # Before the people: a new admin counts toward the plan's admin_limit.
        _platform_plan(actor, tenant, plans)
        _people(actor, tenant)
    catalogued = [seed_catalog.seed_tenant(actor, tenant.id) for tenant in created]
    if catalogued[0] and catalogued[1]:
        seed_catalog.link_tenants(actor, created[0], created[1])
    seed_commerce.seed_tenants(actor, created)
    lines = [f"platform  {SUPER_ADMIN} (super admin), {STAFF}"]
    plan_slugs = {plan.id: slug for slug, plan in plans.items()}
    for tenant in created:
        logins = f"admin@{tenant.slug}.example, reader@{tenant.slug}.example"
        plan = plan_slugs.get(tenant.platform_plan_id, "none")
        lines.append(f"{tenant.slug:<10}{logins} ({tenant.status}, platform plan {plan})")
    lines.append(f"password  {PASSWORD} for every demo login")
    return lines
