"""All models, imported here so metadata is complete for Alembic and the scoping listeners."""

from app.models.activity import Activity
from app.models.base import Base, TenantOrPlatformScoped, TenantScoped
from app.models.catalog import (
    BisacSubject,
    Contributor,
    Publication,
    PublicationBisac,
    PublicationContributor,
    PublicationPrice,
    PublicationTerm,
    Taxonomy,
    TaxonomyTerm,
)
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
from app.models.gateways import Currency, PaymentSettings
from app.models.jobs import JobRun
from app.models.storefront import (
    CatalogEntry,
    Notification,
    PublicationShare,
    PublicationStat,
    StorefrontSettings,
    StorefrontShelf,
    StorefrontShelfItem,
)
from app.models.tenancy import ApiToken, CacheInvalidation, Domain, Tenant, User

__all__ = [
    "Activity",
    "ApiToken",
    "Base",
    "BisacSubject",
    "CacheInvalidation",
    "CatalogEntry",
    "ConfigVersion",
    "Contributor",
    "Currency",
    "Domain",
    "Feature",
    "JobRun",
    "KillSwitch",
    "KillSwitchEvent",
    "KillSwitchSchedule",
    "Notification",
    "PaymentSettings",
    "PlatformPlan",
    "PlatformPlanFeature",
    "Publication",
    "PublicationBisac",
    "PublicationContributor",
    "PublicationPrice",
    "PublicationShare",
    "PublicationStat",
    "PublicationTerm",
    "StorefrontSettings",
    "StorefrontShelf",
    "StorefrontShelfItem",
    "Taxonomy",
    "TaxonomyTerm",
    "Tenant",
    "TenantFeature",
    "TenantOrPlatformScoped",
    "TenantScoped",
    "User",
]
