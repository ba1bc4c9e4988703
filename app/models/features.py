"""Features, platform plans and their grants, tenant overrides, kill switches (spec 20 §2)."""

import re
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.models.base import Base, BigId, TimestampMixin, UTCDateTime, UuidMixin, utcnow

FEATURE_KINDS = ("boolean", "limit")
SWITCH_KINDS = ("feature", "job", "behaviour")
EVENT_SOURCES = ("ui", "cli", "schedule")
SCHEDULE_STATUSES = ("pending", "applied", "cancelled", "skipped")
# PostgreSQL checks stored values itself; the @validates hooks do it on SQLite (spec 20 §3).
VALUE_CHECK = "value IN ('enabled','disabled','unlimited') OR value ~ '^(0|[1-9][0-9]{0,8})$'"
TRIAL_VALUE_CHECK = (
    "trial_value IS NULL OR trial_value = 'unlimited' OR trial_value ~ '^(0|[1-9][0-9]{0,8})$'"
)


def _enum(values: tuple[str, ...], name: str) -> Enum:
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


CANONICAL_INTEGER = re.compile(r"^(0|[1-9][0-9]{0,8})$")


def _check_stored(value: str, allowed_keywords: tuple[str, ...]) -> str:
    """The stored-form rule of spec 20 §3 (canonical forms only; services canonicalise first)."""
    if value in allowed_keywords or (
        isinstance(value, str) and CANONICAL_INTEGER.match(value) is not None
    ):
        return value
    raise ValueError(f"not a stored feature value: {value!r}")


class Feature(TimestampMixin, Base):
    """A named capability: boolean (on/off) or limit (a quota value)."""

    __tablename__ = "features"
    __table_args__ = (
        CheckConstraint("slug ~ '^[a-z][a-z0-9_]{1,62}$'", name="slug_format").ddl_if(
            dialect="postgresql"
        ),
        CheckConstraint(
            "kind = 'limit' OR trial_value IS NULL", name="trial_value_only_for_limits"
        ),
        CheckConstraint(
            "NOT (kind = 'limit' AND accessible_during_trial) OR trial_value IS NOT NULL",
            name="limit_trial_needs_value",
        ),
        CheckConstraint(TRIAL_VALUE_CHECK, name="trial_value_format").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    kind: Mapped[str] = mapped_column(_enum(FEATURE_KINDS, "kind"), nullable=False)
    accessible_during_trial: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    trial_value: Mapped[str | None] = mapped_column(String(16), nullable=True)
    deprecating: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )

    @property
    def has_value(self) -> bool:
        return self.kind == "limit"

    @validates("trial_value")
    def _trial_value(self, key, value):
        return None if value is None else _check_stored(value, ("unlimited",))


class PlatformPlan(UuidMixin, TimestampMixin, Base):
    """What a tenant subscribes to on the platform; grants features, never sold to readers."""

    __tablename__ = "platform_plans"
    __table_args__ = (
        CheckConstraint("slug ~ '^[a-z][a-z0-9_-]{1,62}$'", name="slug_format").ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    is_active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=text("true")
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    grants_version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1, server_default="1"
    )

    grants: Mapped[list["PlatformPlanFeature"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", passive_deletes=True
    )


class PlatformPlanFeature(TimestampMixin, Base):
    """A grant: platform plan P gives feature F the value V."""

    __tablename__ = "platform_plan_features"
    __table_args__ = (
        UniqueConstraint("platform_plan_id", "feature_id", name="uq_platform_plan_features_pair"),
        CheckConstraint(VALUE_CHECK, name="value_format").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform_plan_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("platform_plans.id", ondelete="CASCADE"), nullable=False
    )
    feature_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("features.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    value: Mapped[str] = mapped_column(String(16), nullable=False)
    updated_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    plan: Mapped[PlatformPlan] = relationship(back_populates="grants")
    feature: Mapped[Feature] = relationship()

    @validates("value")
    def _value(self, key, value):
        return _check_stored(value, ("enabled", "disabled", "unlimited"))


class TenantFeature(TimestampMixin, Base):
    """An override: tenant T gets value V for feature F regardless of its plan.
    Platform-managed: staff write it, so it is not auto-scoped (spec 10 §7.2)."""

    __tablename__ = "tenant_features"
    __table_args__ = (
        UniqueConstraint("tenant_id", "feature_id", name="uq_tenant_features_pair"),
        CheckConstraint(VALUE_CHECK, name="value_format").ddl_if(dialect="postgresql"),
        CheckConstraint("char_length(reason) >= 5", name="reason_length").ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    feature_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("features.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    value: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    updated_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    feature: Mapped[Feature] = relationship()

    @validates("value")
    def _value(self, key, value):
        return _check_stored(value, ("enabled", "disabled", "unlimited"))


class KillSwitch(TimestampMixin, Base):
    """A platform-wide control that turns a capability, a job or a behaviour off everywhere."""

    __tablename__ = "kill_switches"
    __table_args__ = (
        CheckConstraint("(kind = 'feature') = (feature_id IS NOT NULL)", name="feature_kind"),
        CheckConstraint("name ~ '^[a-z][a-z0-9_]{1,62}$'", name="name_format").ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    kind: Mapped[str] = mapped_column(_enum(SWITCH_KINDS, "kind"), nullable=False)
    feature_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("features.id", ondelete="RESTRICT"), unique=True, nullable=True
    )
    enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=text("true")
    )
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    updated_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    updated_by_label: Mapped[str | None] = mapped_column(String(120), nullable=True)


class KillSwitchEvent(Base):
    """Insert-only history of kill-switch changes."""

    __tablename__ = "kill_switch_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kill_switch_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("kill_switches.id", ondelete="RESTRICT"), nullable=False
    )
    from_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    to_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    actor_label: Mapped[str] = mapped_column(String(120), nullable=False)
    source: Mapped[str] = mapped_column(_enum(EVENT_SOURCES, "source"), nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


# Newest events of a switch first.
Index(
    "ix_kill_switch_events_switch_created",
    KillSwitchEvent.kill_switch_id,
    KillSwitchEvent.created_at.desc(),
)


class KillSwitchSchedule(TimestampMixin, Base):
    """A planned change of a switch; at most one pending per switch."""

    __tablename__ = "kill_switch_schedules"
    __table_args__ = (
        Index(
            "uq_kill_switch_schedules_pending",
            "kill_switch_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kill_switch_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("kill_switches.id", ondelete="RESTRICT"), nullable=False
    )
    target_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    created_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(
        _enum(SCHEDULE_STATUSES, "status"), nullable=False, default="pending"
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ConfigVersion(Base):
    """Version counters of the feature catalog, definitions and switches (spec 20 §2.8)."""

    __tablename__ = "config_versions"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow
    )
