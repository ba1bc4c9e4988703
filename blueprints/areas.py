"""The navigation of both control panels: every area of the spec, built or not yet."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    slug: str
    title: str
    endpoint: str | None  # None: not available yet
    summary: str


DASHBOARD_AREAS = (
    Area(
        "orders",
        "Orders",
        "dashboard.orders",
        "Orders, refunds, cancellations and the sales report.",
    ),
    Area(
        "subscriptions",
        "Subscriptions",
        "dashboard.subscriptions",
        "Readers' recurring plans and their renewals.",
    ),
    Area("users", "Users", "dashboard.users", "Readers and administrators of your store."),
    Area(
        "bulk-assignments",
        "Bulk assignments",
        "dashboard.bulk_assignments",
        "Give plans to many readers from a CSV.",
    ),
    Area(
        "plans", "Plans", "dashboard.plans", "The plans you sell: recurring, prepaid and external."
    ),
    Area("coupons", "Coupons", None, "Discount codes and their limits."),
    Area(
        "publications",
        "Publications",
        "dashboard.publications",
        "Your catalogue, uploads and processing.",
    ),
    Area(
        "shipping-notes",
        "Shipping notes",
        "dashboard.shipping_notes",
        "Physical deliveries and carriers.",
    ),
    Area("analytics", "Analytics", None, "Who reads what, and for how long."),
    Area("settings/payments", "Payment settings", None, "Stripe, MercadoPago, PayU and Yuno."),
    Area(
        "features",
        "Features",
        "dashboard.features",
        "What your platform plan includes, and your quotas.",
    ),
)

PLATFORM_AREAS = (
    Area("tenants", "Tenants", "platform.tenants", "Stores, their domains and status."),
    Area("activity", "Activity", "platform.activity", "Who changed what, across the platform."),
    Area("jobs", "Job runs", "platform.jobs", "Scheduled and manual background jobs."),
    Area(
        "plans", "Platform plans", "platform.plans", "Plans tenants subscribe to, and their grants."
    ),
    Area(
        "features", "Features", "platform.features", "The feature catalogue and tenant overrides."
    ),
    Area(
        "kill-switches",
        "Kill switches",
        "platform.kill_switches",
        "Turn a capability off everywhere.",
    ),
    Area("currencies", "Currencies", None, "The currency registry."),
    Area("gateway-accounts", "Gateway accounts", None, "The platform's own payment accounts."),
    Area("ipns", "Webhooks", None, "Every gateway notification and its processing."),
    Area("analytics", "Analytics health", None, "The reading-analytics pipeline."),
    Area("staff", "Staff", None, "Staff accounts (super admins)."),
    Area("api-tokens", "API tokens", None, "Internal API tokens (super admins)."),
)


def find(areas, slug: str) -> Area | None:
    return next((a for a in areas if a.slug == slug and a.endpoint is None), None)
