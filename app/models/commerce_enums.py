"""The commerce vocabulary (spec 30): every status, type and kind, spelled exactly as stored."""

from enum import StrEnum

from sqlalchemy import Enum


class PlanType(StrEnum):
    RECURRING = "recurring"
    PREPAID = "prepaid"
    EXTERNAL = "external"


class PlanInterval(StrEnum):
    MONTH = "month"
    YEAR = "year"


class AccessScope(StrEnum):
    ALL = "all"
    COLLECTIONS = "collections"


class OrderType(StrEnum):
    INTERNAL = "internal"
    PERMISSION = "permission"
    REPORT = "report"
    INTERNAL_REPORT = "internal_report"
    SALE = "sale"


class OrderStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    EXPIRED = "expired"
    ERROR = "error"
    DISPUTE_LOST = "dispute_lost"


class GatewayType(StrEnum):
    STRIPE = "stripe"
    MERCADOPAGO = "mercadopago"
    YUNO = "yuno"
    PAYU = "payu"
    MANUAL = "manual"
    BULK = "bulk"
    EXTERNAL = "external"
    LTI = "lti"
    SAML = "saml"
    TOTAL_DISCOUNT_COUPON = "totalDiscountCoupon"
    PAYPAL = "paypal"


# The four gateways a tenant configures (the `gateways` table, spec 40 §2.1).
GATEWAY_ADAPTERS = (
    GatewayType.STRIPE,
    GatewayType.MERCADOPAGO,
    GatewayType.PAYU,
    GatewayType.YUNO,
)
# Sources that grant access without money (spec 30 §3.2).
GRANT_SOURCES = (GatewayType.MANUAL, GatewayType.BULK, GatewayType.LTI, GatewayType.SAML)


class LineKind(StrEnum):
    RECURRING = "recurring"
    PREPAID = "prepaid"
    SINGLE = "single"
    EXTERNAL = "external"


class LineStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class RefundStatus(StrEnum):
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    ERROR = "error"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    DISPUTE_LOST = "dispute_lost"


REVERSAL_STATUSES = (PaymentStatus.REFUNDED, PaymentStatus.DISPUTE_LOST)


class SaleType(StrEnum):
    SUBSCRIPTION = "subscription"
    PREPAID = "prepaid"
    SINGLE = "single"
    EXTERNAL = "external"
    SHIPPING = "shipping"


class PaymentPlanType(StrEnum):
    RECURRING = "recurring"
    PREPAID = "prepaid"
    EXTERNAL = "external"
    SINGLE = "single"
    SHIPPING = "shipping"


class CarrierType(StrEnum):
    DELIVERY = "delivery"
    WAREHOUSE = "warehouse"


class NoteStatus(StrEnum):
    PENDING = "pending"
    ORDER_GENERATED = "order-generated"
    PREPARING = "preparing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class BulkImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class BulkRowOutcome(StrEnum):
    CREATED = "created"
    SKIPPED = "skipped"
    INVALID = "invalid"


class GatewayEnvironment(StrEnum):
    LIVE = "live"
    SANDBOX = "sandbox"


class ValidationStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"


def enum_column(values: type[StrEnum], name: str, length: int = 24) -> Enum:
    """VARCHAR + CHECK holding the enum's values (spec 30 §1)."""
    return enum_column_values(tuple(v.value for v in values), name, length)


def enum_column_values(values: tuple[str, ...], name: str, length: int = 24) -> Enum:
    """VARCHAR + CHECK over a plain tuple of values."""
    return Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
    )
