"""Gateway-area models; for now the platform currency registry and each tenant's enabled
currencies, which prices refer to."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, TenantScoped, TimestampMixin, UTCDateTime, utcnow


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
