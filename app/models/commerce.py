"""Commerce models (spec 30): store plans and prices, orders and their lines (`users_plans`),
the insert-only payments ledger, shipping carriers and notes, and bulk assignment imports."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    Base,
    BigId,
    TenantScoped,
    TimestampMixin,
    UTCDateTime,
    UuidMixin,
    utcnow,
)
from app.models.commerce_enums import (
    AccessScope,
    BulkImportStatus,
    BulkRowOutcome,
    CarrierType,
    GatewayType,
    LineKind,
    LineStatus,
    NoteStatus,
    OrderStatus,
    OrderType,
    PaymentPlanType,
    PaymentStatus,
    PlanInterval,
    PlanType,
    RefundStatus,
    SaleType,
    enum_column,
)

# JSONB on PostgreSQL, JSON on SQLite (spec 30 §1).
# None is SQL NULL, not JSON null, so `IS NULL` finds an order without a shipping snapshot.
Json = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def _fk(target: str, ondelete: str = "RESTRICT", nullable: bool = False):
    return mapped_column(BigId, ForeignKey(target, ondelete=ondelete), nullable=nullable)


class Plan(UuidMixin, TimestampMixin, TenantScoped, Base):
    """A store plan a tenant sells or assigns: recurring, prepaid or external (spec 30 §2.1)."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint(
            "type <> 'recurring' OR (interval IS NOT NULL AND interval_count IS NOT NULL"
            " AND duration_months IS NULL)",
            name="recurring_shape",
        ),
        CheckConstraint("interval <> 'year' OR interval_count = 1", name="yearly_count"),
        CheckConstraint(
            "interval_count IS NULL OR interval_count BETWEEN 1 AND 12", name="interval_count_range"
        ),
        CheckConstraint(
            "type = 'recurring' OR (interval IS NULL AND interval_count IS NULL"
            " AND duration_months IS NOT NULL)",
            name="term_shape",
        ),
        CheckConstraint(
            "duration_months IS NULL OR duration_months BETWEEN 1 AND 120", name="duration_range"
        ),
        CheckConstraint("free_trial_days BETWEEN 0 AND 365", name="trial_range"),
        CheckConstraint("free_trial_days = 0 OR type = 'recurring'", name="trial_recurring"),
        CheckConstraint(
            "NOT physical OR (type = 'recurring' AND interval_count = 1)"
            " OR (type = 'prepaid' AND duration_months IN (1, 12))",
            name="physical_terms",
        ),
        Index(
            "uq_plans_tenant_name_live",
            "tenant_id",
            func.lower(text("name")),
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
            sqlite_where=text("archived_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    details: Mapped[str | None] = mapped_column(Text, nullable=True)
    type: Mapped[str] = mapped_column(enum_column(PlanType, "type", 16), nullable=False)
    interval: Mapped[str | None] = mapped_column(
        enum_column(PlanInterval, "interval", 8), nullable=True
    )
    interval_count: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    duration_months: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    free_trial_days: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, default=0, server_default="0"
    )
    private: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    physical: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    recommended: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    access_scope: Mapped[str] = mapped_column(
        enum_column(AccessScope, "access_scope", 16),
        nullable=False,
        default=AccessScope.ALL,
        server_default="all",
    )
    external_customer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    prices: Mapped[list["PlanPrice"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanPrice.currency"
    )

    @property
    def is_external(self) -> bool:
        return self.type == PlanType.EXTERNAL


class PlanPrice(TenantScoped, Base):
    """A plan's price in one currency: per billing term, or for the whole prepaid duration."""

    __tablename__ = "plan_prices"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        UniqueConstraint("plan_id", "currency", name="uq_plan_prices_plan_currency"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = _fk("plans.id", ondelete="CASCADE")
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)

    plan: Mapped[Plan] = relationship(back_populates="prices")


class PlanCollection(TenantScoped, Base):
    """A collection term (spec 70's collection taxonomy) that a `collections`-scoped plan opens."""

    __tablename__ = "plan_collections"

    plan_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    collection_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("taxonomy_terms.id", ondelete="CASCADE"), primary_key=True
    )


class BulkImport(UuidMixin, TenantScoped, Base):
    """One uploaded CSV of assignments and its progress (spec 30 §8.2)."""

    __tablename__ = "bulk_imports"
    __table_args__ = (Index("ix_bulk_imports_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_by_id: Mapped[int | None] = _fk("users.id", nullable=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # Where the upload is kept (storage key) until it is deleted 30 days after the end.
    file_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(
        enum_column(BulkImportStatus, "status", 16),
        nullable=False,
        default=BulkImportStatus.QUEUED,
        server_default="queued",
    )
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    processed_rows: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    created_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    skipped_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    invalid_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    notify_new_users: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, server_default=func.now()
    )


class BulkImportRow(TenantScoped, Base):
    """The outcome of one data row of a bulk import; the unique row number blocks doubles."""

    __tablename__ = "bulk_import_rows"
    __table_args__ = (
        UniqueConstraint("import_id", "row_number", name="uq_bulk_import_rows_import_row"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = _fk("bulk_imports.id", ondelete="CASCADE")
    row_number: Mapped[int] = mapped_column(Integer, nullable=False)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    target_uuid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str] = mapped_column(enum_column(BulkRowOutcome, "outcome", 16), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The row as uploaded, so the error report repeats the original columns.
    raw: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    order_id: Mapped[int | None] = _fk("orders.id", nullable=True)


class Order(UuidMixin, TimestampMixin, TenantScoped, Base):
    """One purchase or grant; its lines say what it gives (spec 30 §3)."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_positive"),
        Index(
            "uq_orders_tenant_gateway_key",
            "tenant_id",
            "gateway_key",
            unique=True,
            postgresql_where=text("gateway_key IS NOT NULL"),
            sqlite_where=text("gateway_key IS NOT NULL"),
        ),
        Index(
            "uq_orders_tenant_external_reference",
            "tenant_id",
            "external_reference",
            unique=True,
            postgresql_where=text("external_reference IS NOT NULL"),
            sqlite_where=text("external_reference IS NOT NULL"),
        ),
        # Spec 30 §12 lists these with DESC; a B-tree read backwards serves the same order.
        Index("ix_orders_sandbox_created", "tenant_id", "sandbox", "created_at", "id"),
        Index("ix_orders_status_created", "tenant_id", "status", "created_at", "id"),
        Index("ix_orders_gateway_created", "tenant_id", "gateway_type", "created_at", "id"),
        Index("ix_orders_amount", "tenant_id", "amount_minor", "id"),
        Index("ix_orders_user_created", "tenant_id", "user_id", "created_at"),
        Index(
            "ix_orders_pending_created",
            "created_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(
            "ix_orders_needs_review",
            "tenant_id",
            postgresql_where=text("review_reason IS NOT NULL"),
            sqlite_where=text("review_reason IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = _fk("users.id")
    type: Mapped[str] = mapped_column(enum_column(OrderType, "type", 16), nullable=False)
    status: Mapped[str] = mapped_column(enum_column(OrderStatus, "status", 16), nullable=False)
    gateway_type: Mapped[str] = mapped_column(
        enum_column(GatewayType, "gateway_type", 24), nullable=False
    )
    gateway_id: Mapped[int | None] = _fk("gateways.id", nullable=True)
    gateway_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sandbox: Mapped[bool] = mapped_column(Boolean, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # The coupons table arrives with the gateways/checkout issue, which adds the foreign key.
    coupon_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    shipping_information: Mapped[dict | None] = mapped_column(Json, nullable=True)
    external_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bulk_import_id: Mapped[int | None] = _fk("bulk_imports.id", nullable=True)
    created_by_id: Mapped[int | None] = _fk("users.id", nullable=True)
    review_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    lines: Mapped[list["UserPlan"]] = relationship(
        back_populates="order", order_by="UserPlan.id", foreign_keys="UserPlan.order_id"
    )
    user = relationship("User", foreign_keys=[user_id])


class UserPlan(UuidMixin, TimestampMixin, TenantScoped, Base):
    """A line item: what one user gets from an order (a plan or a publication) (spec 30 §4)."""

    __tablename__ = "users_plans"
    __table_args__ = (
        CheckConstraint(
            "(plan_id IS NULL) <> (publication_id IS NULL)", name="plan_xor_publication"
        ),
        CheckConstraint(
            "(kind = 'single') = (publication_id IS NOT NULL)", name="single_iff_publication"
        ),
        CheckConstraint("price_minor >= 0", name="price_positive"),
        Index("ix_users_plans_order", "order_id"),
        Index("ix_users_plans_user_status", "tenant_id", "user_id", "status"),
        Index("ix_users_plans_kind_status", "tenant_id", "kind", "status", "created_at", "id"),
        Index(
            "ix_users_plans_expiring",
            "expires_at",
            postgresql_where=text("status = 'approved' AND expires_at IS NOT NULL"),
            sqlite_where=text("status = 'approved' AND expires_at IS NOT NULL"),
        ),
        Index("ix_users_plans_plan", "tenant_id", "plan_id"),
        Index("ix_users_plans_publication", "tenant_id", "publication_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = _fk("orders.id")
    user_id: Mapped[int] = _fk("users.id")
    plan_id: Mapped[int | None] = _fk("plans.id", nullable=True)
    publication_id: Mapped[int | None] = _fk("publications.id", nullable=True)
    gateway_type: Mapped[str] = mapped_column(
        enum_column(GatewayType, "gateway_type", 24), nullable=False
    )
    kind: Mapped[str] = mapped_column(enum_column(LineKind, "kind", 16), nullable=False)
    status: Mapped[str] = mapped_column(enum_column(LineStatus, "status", 16), nullable=False)
    refund_status: Mapped[str | None] = mapped_column(
        enum_column(RefundStatus, "refund_status", 24), nullable=True
    )
    price_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    interval: Mapped[str | None] = mapped_column(
        enum_column(PlanInterval, "interval", 8), nullable=True
    )
    interval_count: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    trial_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    access_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    order: Mapped[Order] = relationship(back_populates="lines", foreign_keys=[order_id])
    plan: Mapped[Plan | None] = relationship(foreign_keys=[plan_id])
    publication = relationship("Publication", foreign_keys=[publication_id])
    user = relationship("User", foreign_keys=[user_id])


# Columns a payment row may change after insert (spec 30 §5.4); everything else is frozen.
PAYMENT_MUTABLE_COLUMNS = frozenset(
    {"payment_payload", "invoice_number", "email", "deleted_at", "updated_at"}
)


class Payment(UuidMixin, TimestampMixin, TenantScoped, Base):
    """One immutable financial event of the ledger; state changes are new rows (spec 30 §5)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_positive"),
        CheckConstraint("recurring_cycle >= 1", name="cycle_positive"),
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_payments_tenant_idempotency"),
        Index(
            "ix_payments_order_timeline",
            "order_id",
            "occurred_at",
            "id",
            postgresql_include=["status", "amount_minor", "user_plan_id", "recurring_cycle"],
        ),
        Index("ix_payments_line_status_cycle", "user_plan_id", "status", "recurring_cycle"),
        Index("ix_payments_tenant_transaction", "tenant_id", "gateway_transaction_id"),
        Index("ix_payments_tenant_gateway_key", "tenant_id", "gateway_key"),
        Index(
            "ix_payments_refers_to",
            "refers_to_payment_id",
            postgresql_where=text("refers_to_payment_id IS NOT NULL"),
            sqlite_where=text("refers_to_payment_id IS NOT NULL"),
        ),
        Index(
            "ix_payments_report",
            "tenant_id",
            "occurred_at",
            postgresql_include=["currency", "status", "amount_minor", "sale_type", "order_id"],
            postgresql_where=text("sandbox = false AND deleted_at IS NULL"),
            sqlite_where=text("sandbox = 0 AND deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = _fk("orders.id")
    user_plan_id: Mapped[int | None] = _fk("users_plans.id", nullable=True)
    gateway_id: Mapped[int | None] = _fk("gateways.id", nullable=True)
    gateway_type: Mapped[str] = mapped_column(
        enum_column(GatewayType, "gateway_type", 24), nullable=False
    )
    status: Mapped[str] = mapped_column(enum_column(PaymentStatus, "status", 16), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    gateway_transaction_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    gateway_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    gateway_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sale_type: Mapped[str] = mapped_column(enum_column(SaleType, "sale_type", 16), nullable=False)
    plan_type: Mapped[str] = mapped_column(
        enum_column(PaymentPlanType, "plan_type", 16), nullable=False
    )
    recurring_cycle: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    refers_to_payment_id: Mapped[int | None] = _fk("payments.id", nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    sandbox: Mapped[bool] = mapped_column(Boolean, nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(64), nullable=False)
    payment_payload: Mapped[dict] = mapped_column(
        Json, nullable=False, default=dict, server_default=text("'{}'")
    )
    invoice_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ShippingCarrier(UuidMixin, TimestampMixin, TenantScoped, Base):
    """A delivery service or pickup point, optionally for one province (spec 30 §9.1)."""

    __tablename__ = "shipping_carriers"
    __table_args__ = (
        CheckConstraint(
            "type <> 'warehouse' OR address IS NOT NULL", name="warehouse_needs_address"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(enum_column(CarrierType, "type", 16), nullable=False)
    state_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=text("true")
    )
    position: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, default=0, server_default="0"
    )
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    prices: Mapped[list["ShippingCarrierPrice"]] = relationship(
        back_populates="carrier",
        cascade="all, delete-orphan",
        order_by="ShippingCarrierPrice.currency",
    )


class ShippingCarrierPrice(TenantScoped, Base):
    """A carrier's price per shipment in one currency."""

    __tablename__ = "shipping_carrier_prices"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_positive"),
        UniqueConstraint("carrier_id", "currency", name="uq_shipping_carrier_prices_currency"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    carrier_id: Mapped[int] = _fk("shipping_carriers.id", ondelete="CASCADE")
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)

    carrier: Mapped[ShippingCarrier] = relationship(back_populates="prices")


class ShippingNote(UuidMixin, TimestampMixin, TenantScoped, Base):
    """One shipment a shipping payment row pays for (spec 30 §9.4)."""

    __tablename__ = "shipping_notes"
    __table_args__ = (
        CheckConstraint("period_length IN (1, 12)", name="period_length_values"),
        CheckConstraint(
            "shipment_number BETWEEN 1 AND period_length", name="shipment_number_range"
        ),
        CheckConstraint("amount_minor >= 0", name="amount_positive"),
        UniqueConstraint("payment_id", "shipment_number", name="uq_shipping_notes_payment_number"),
        Index(
            "ix_shipping_notes_status_due",
            "tenant_id",
            "status",
            "due_on",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index("ix_shipping_notes_created", "tenant_id", "created_at", "id"),
        Index("ix_shipping_notes_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    payment_id: Mapped[int] = _fk("payments.id")
    order_id: Mapped[int] = _fk("orders.id")
    carrier_id: Mapped[int] = _fk("shipping_carriers.id")
    period_length: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    shipment_number: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    shipping_information: Mapped[dict] = mapped_column(Json, nullable=False)
    status: Mapped[str] = mapped_column(
        enum_column(NoteStatus, "status", 16),
        nullable=False,
        default=NoteStatus.ORDER_GENERATED,
        server_default="order-generated",
    )
    tracking_code: Mapped[str | None] = mapped_column(String(120), nullable=True)
    tracking_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    order: Mapped[Order] = relationship(foreign_keys=[order_id])
    carrier: Mapped[ShippingCarrier] = relationship(foreign_keys=[carrier_id])
