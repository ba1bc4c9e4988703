"""Every feature slug and kill switch the code checks (spec 20 §4.1 and §6.2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureSpec:
    slug: str
    name: str
    kind: str  # boolean | limit
    description: str = ""
    style: str | None = None  # limits: count (within_limit) | maximum (allows)
    unit: str = ""
    platform_controlled: bool = False
    crawler_gated: bool = False


@dataclass(frozen=True)
class SwitchSpec:
    name: str
    kind: str  # feature | job | behaviour
    description: str


FEATURES: dict[str, FeatureSpec] = {
    spec.slug: spec
    for spec in (
        FeatureSpec(
            "storefront_search",
            "Storefront search",
            "boolean",
            "Full-text search in the storefront.",
            platform_controlled=True,
            crawler_gated=True,
        ),
        FeatureSpec(
            "storefront_search_terms",
            "Search by taxonomy terms",
            "boolean",
            "Taxonomy terms inside storefront search.",
            platform_controlled=True,
            crawler_gated=True,
        ),
        FeatureSpec(
            "storefront_recommended_issues",
            "Recommended publications",
            "boolean",
            "The recommendation shelf in the storefront.",
            platform_controlled=True,
            crawler_gated=True,
        ),
        FeatureSpec(
            "automations",
            "Medusa Automations",
            "boolean",
            "Dispatch and redispatch automation buttons and the dispatch API.",
        ),
        FeatureSpec(
            "discount_coupons", "Discount coupons", "boolean", "Coupons in the store and checkout."
        ),
        FeatureSpec(
            "maximum_discount_coupon_amount_limit",
            "Maximum coupon discount",
            "limit",
            "The highest discount percentage a coupon may give.",
            style="maximum",
            unit="% discount",
        ),
        FeatureSpec(
            "create_external_plans", "External plans", "boolean", "Store plans sold elsewhere."
        ),
        FeatureSpec("yuno_checkout_enabled", "Yuno checkout", "boolean", "Yuno in checkout."),
        FeatureSpec(
            "physicals_goods", "Physical goods", "boolean", "Physical products and shipping notes."
        ),
        FeatureSpec(
            "shipping_by_province", "Shipping by province", "boolean", "Province carriers."
        ),
        FeatureSpec(
            "consumption_api",
            "Consumption API",
            "boolean",
            "The integration API's reading-sessions endpoint.",
        ),
        FeatureSpec(
            "admin_limit",
            "Administrators",
            "limit",
            "Active tenant administrators.",
            style="count",
            unit="administrators",
        ),
        FeatureSpec(
            "issues_limit",
            "Publications",
            "limit",
            "Publications the store may hold, drafts included.",
            style="count",
            unit="publications",
        ),
    )
}

SWITCHES: dict[str, SwitchSpec] = {
    spec.name: spec
    for spec in (
        SwitchSpec("storefront_search", "feature", "Search denied for every tenant."),
        SwitchSpec("storefront_search_terms", "feature", "Taxonomy terms left out of search."),
        SwitchSpec("storefront_recommended_issues", "feature", "Recommendation shelf hidden."),
        SwitchSpec(
            "unlimited_readable_issues",
            "behaviour",
            "The 500 readable-issues cap is imposed again.",
        ),
        SwitchSpec(
            "payment_sync",
            "job",
            "Payment synchronisation, on-demand reconciliation and the MercadoPago checks it "
            "dispatches are skipped.",
        ),
        SwitchSpec("check_mp_payments", "job", "MercadoPago recurring-payment checks skipped."),
        SwitchSpec(
            "ipn_processing", "job", "Gateway webhook processing paused (intake still stores)."
        ),
        SwitchSpec("check_yuno_payments", "job", "Yuno recurring-payment checks skipped."),
        SwitchSpec("verify_pending_refunds", "job", "Pending Yuno refunds are not re-checked."),
        SwitchSpec("check_payu_payments", "job", "Pending PayU order checks skipped."),
        SwitchSpec(
            "commerce_housekeeping",
            "job",
            "Line expiry, pending-order pruning and payments housekeeping skipped.",
        ),
        SwitchSpec(
            "shipping_notes_generation",
            "job",
            "Yearly shipping notes #2 to #12 not created (caught up when back on).",
        ),
        SwitchSpec("bulk_process_deferred_issues", "job", "PDF/audio processing queue paused."),
        SwitchSpec("bulk_process_deferred_epub", "job", "EPUB processing queue paused."),
        SwitchSpec("bulk_reprocess_issues", "job", "Issue re-processing paused."),
        SwitchSpec("analytics_ingestion", "behaviour", "Event intake paused."),
        SwitchSpec("analytics_aggregation", "job", "Session aggregation skipped."),
        SwitchSpec("telescope_recording", "behaviour", "The recorder records nothing."),
        SwitchSpec(
            "gateway_revalidation", "job", "The daily gateway-credential re-check is skipped."
        ),
    )
}

# Count limits report their usage through a provider registered by the owning module.
_usage: dict[str, Callable[[int], int]] = {}


def register_usage(slug: str, fn: Callable[[int], int]) -> None:
    spec = FEATURES.get(slug)
    if spec is None or spec.style != "count":
        raise ValueError(f"{slug} is not a count limit of the registry")
    _usage[slug] = fn


def usage_provider(slug: str) -> Callable[[int], int] | None:
    return _usage.get(slug)
