"""The activity log: one row per change a person or the system makes, with before/after."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, UTCDateTime, UuidMixin, utcnow


class Activity(UuidMixin, Base):
    """Who did what to which subject, when, with the diff; platform-managed (tenant_id nullable)."""

    __tablename__ = "activity_log"
    __table_args__ = (
        Index("ix_activity_log_tenant_created", "tenant_id", "created_at"),
        Index("ix_activity_log_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    tenant_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=True
    )
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"), nullable=True)
    # Readable actor even without a user row: an email, "system" or "cli:<os user>".
    actor_label: Mapped[str] = mapped_column(String(254), nullable=False)
    actor_is_staff: Mapped[bool] = mapped_column(default=False, nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    subject_type: Mapped[str] = mapped_column(String(32), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(64), nullable=False)
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
