"""All models, imported here so metadata is complete for Alembic and the scoping listeners."""

from app.models.activity import Activity
from app.models.base import Base, TenantOrPlatformScoped, TenantScoped
from app.models.gateways import Currency
from app.models.jobs import JobRun
from app.models.tenancy import ApiToken, CacheInvalidation, Domain, Tenant, User

__all__ = [
    "Activity",
    "ApiToken",
    "Base",
    "CacheInvalidation",
    "Currency",
    "Domain",
    "JobRun",
    "Tenant",
    "TenantOrPlatformScoped",
    "TenantScoped",
    "User",
]
