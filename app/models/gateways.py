"""Gateway-area models: the platform currency registry, each tenant's enabled currencies, and
the tenant's gateway configuration rows (spec 40 §2.1; their pages and adapters come later)."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, TenantScoped, TimestampMixin, UTCDateTime, utcnow
from app.models.commerce_enums import (
    GatewayEnvironment,
    ValidationStatus,
    enum_column,
    enum_column_values,
)

GATEWAY_CONFIG_TYPES = ("stripe", "mercadopago", "payu", "yuno")


class Currency(TimestampMixin, Base):
    """An ISO 4217 currency with its exponent (minor units per major unit = 10**exponent)."""

    __tablename__ = "currencies"
    __table_args__ = (CheckConstraint("exponent BETWEEN 0 AND 4", name="exponent_range"),)

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    exponent: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    enabled_for_pricing: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )


class PaymentSettings(TenantScoped, Base):
    """A tenant's enabled currencies and minimum payable amounts (spec 40 §2.8); prices of
    publications and plans may only use these currencies."""

    __tablename__ = "payment_settings"

    tenant_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    currencies: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    minimum_amounts: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow
    )


class Gateway(TimestampMixin, TenantScoped, Base):
    """One tenant's settings for one gateway type (spec 40 §2.1); orders and payment rows name
    the row they went through, and its `environment` decides an order's `sandbox`."""

    __tablename__ = "gateways"
    __table_args__ = (
        CheckConstraint('"order" >= 0', name="order_positive"),
        CheckConstraint(
            "uses_platform_credentials = false OR type IN ('stripe', 'mercadopago')",
            name="platform_credentials_types",
        ),
        Index(
            "uq_gateways_tenant_type_live",
            "tenant_id",
            "type",
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index("ix_gateways_tenant_deleted_order", "tenant_id", "deleted_at", "order"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(
        enum_column_values(GATEWAY_CONFIG_TYPES, "type"), nullable=False
    )
    order: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    supported_currencies: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    retail_enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=text("true")
    )
    subscription_enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=text("true")
    )
    environment: Mapped[str] = mapped_column(
        enum_column(GatewayEnvironment, "environment", 16), nullable=False
    )
    # Encrypted JSON (MultiFernet); written by the gateways issue's settings service.
    credentials: Mapped[str] = mapped_column(Text, nullable=False, default="")
    webhook_secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    uses_platform_credentials: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    validation_status: Mapped[str] = mapped_column(
        enum_column(ValidationStatus, "validation_status", 16),
        nullable=False,
        default=ValidationStatus.OK,
        server_default="ok",
    )
    last_validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_validation_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def sandbox(self) -> bool:
        return self.environment == GatewayEnvironment.SANDBOX
