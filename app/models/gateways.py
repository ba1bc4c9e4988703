"""Gateway-area models; for now the platform currency registry that tenants and prices refer to."""

from sqlalchemy import Boolean, CheckConstraint, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin


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
