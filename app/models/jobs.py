"""Job runs: one row per scheduled or manual background job run (and per tenant child run)."""

from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, UTCDateTime, utcnow

JOB_TRIGGERS = ("beat", "manual", "cli", "chained")
JOB_STATUSES = ("running", "succeeded", "partial", "failed", "skipped")


class JobRun(Base):
    """A run of a background job with its counts and first errors; platform-managed."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job_name", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_name: Mapped[str] = mapped_column(String(64), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("job_runs.id"), nullable=True)
    tenant_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    trigger: Mapped[str] = mapped_column(
        Enum(*JOB_TRIGGERS, name="trigger", native_enum=False, create_constraint=True, length=16),
        nullable=False,
    )
    status: Mapped[str] = mapped_column(
        Enum(*JOB_STATUSES, name="status", native_enum=False, create_constraint=True, length=16),
        nullable=False,
        default="running",
    )
    skip_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    counts: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    errors: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    celery_task_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
