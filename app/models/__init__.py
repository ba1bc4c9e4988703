"""All models, imported here so metadata is complete for Alembic and the scoping listeners."""

from app.models.activity import Activity
from app.models.base import Base, TenantOrPlatformScoped, TenantScoped
from app.models.features import (
    ConfigVersion,
    Feature,
    KillSwitch,
    KillSwitchEvent,
    KillSwitchSchedule,
    PlatformPlan,
    PlatformPlanFeature,
    TenantFeature,
)
from app.models.gateways import Currency
from app.models.jobs import JobRun
from app.models.tenancy import ApiToken, CacheInvalidation, Domain, Tenant, User

__all__ = [
    "Activity",
    "ApiToken",
    "Base",
    "CacheInvalidation",
    "ConfigVersion",
    "Currency",
    "Domain",
    "Feature",
    "JobRun",
    "KillSwitch",
    "KillSwitchEvent",
    "KillSwitchSchedule",
    "PlatformPlan",
    "PlatformPlanFeature",
    "Tenant",
    "TenantFeature",
    "TenantOrPlatformScoped",
    "TenantScoped",
    "User",
]
