"""Tenants, their domains, users (readers, tenant admins, staff), internal API tokens, bus rows."""

import secrets
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
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    Base,
    BigId,
    TenantOrPlatformScoped,
    TimestampMixin,
    UTCDateTime,
    UuidMixin,
    utcnow,
)

TENANT_STATUSES = ("active", "trial", "suspended")
DOMAIN_KINDS = ("subdomain", "custom")
USER_ROLES = ("reader", "admin")


def new_session_token() -> str:
    """A fresh random token; rotating it ends every session of the user."""
    return secrets.token_hex(16)


class Tenant(UuidMixin, TimestampMixin, Base):
    """A publisher running its own store; never hard-deleted, suspension is the off state."""

    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint("status <> 'trial' OR trial_ends_at IS NOT NULL", name="trial_has_end"),
        Index("ix_tenants_status", "status"),
        Index("ix_tenants_platform_plan_id", "platform_plan_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    status: Mapped[str] = mapped_column(
        Enum(*TENANT_STATUSES, name="status", native_enum=False, create_constraint=True, length=16),
        nullable=False,
        default="trial",
        server_default="trial",
    )
    platform_plan_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("platform_plans.id", ondelete="RESTRICT"), nullable=True
    )
    trial_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    timezone: Mapped[str] = mapped_column(
        String(64), nullable=False, default="UTC", server_default="UTC"
    )
    locale: Mapped[str] = mapped_column(
        String(16), nullable=False, default="en", server_default="en"
    )
    default_currency: Mapped[str] = mapped_column(
        String(3), ForeignKey("currencies.code", ondelete="RESTRICT"), nullable=False
    )
    status_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    domains: Mapped[list["Domain"]] = relationship(
        back_populates="tenant", order_by="(Domain.is_primary.desc(), Domain.host)"
    )


class Domain(TimestampMixin, Base):
    """A host answering for a tenant; platform-managed, read across tenants by the resolver."""

    __tablename__ = "domains"
    __table_args__ = (
        CheckConstraint("host = lower(host)", name="host_lower"),
        Index(
            "uq_domains_primary_per_tenant",
            "tenant_id",
            unique=True,
            postgresql_where=text("is_primary"),
            sqlite_where=text("is_primary"),
        ),
        Index(
            "uq_domains_subdomain_per_tenant",
            "tenant_id",
            unique=True,
            postgresql_where=text("kind = 'subdomain'"),
            sqlite_where=text("kind = 'subdomain'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    host: Mapped[str] = mapped_column(String(253), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(
        Enum(*DOMAIN_KINDS, name="kind", native_enum=False, create_constraint=True, length=16),
        nullable=False,
    )
    is_primary: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"), nullable=True)

    tenant: Mapped[Tenant] = relationship(back_populates="domains")


class User(UuidMixin, TimestampMixin, TenantOrPlatformScoped, Base):
    """A reader or tenant admin of one tenant, or a platform staff member (no tenant)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("(tenant_id IS NULL) = (role IS NULL)", name="role_iff_tenant"),
        CheckConstraint("(tenant_id IS NULL) = is_staff", name="staff_iff_no_tenant"),
        CheckConstraint("NOT is_super_admin OR is_staff", name="super_admin_is_staff"),
        Index(
            "uq_users_tenant_email",
            "tenant_id",
            "email",
            unique=True,
            postgresql_where=text("tenant_id IS NOT NULL"),
            sqlite_where=text("tenant_id IS NOT NULL"),
        ),
        Index(
            "uq_users_staff_email",
            "email",
            unique=True,
            postgresql_where=text("tenant_id IS NULL"),
            sqlite_where=text("tenant_id IS NULL"),
        ),
        Index(
            "uq_users_tenant_external_id",
            "tenant_id",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
            sqlite_where=text("external_id IS NOT NULL"),
        ),
        Index("ix_users_tenant_role_active", "tenant_id", "role", "is_active"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    role: Mapped[str | None] = mapped_column(
        Enum(*USER_ROLES, name="role", native_enum=False, create_constraint=True, length=16),
        nullable=True,
    )
    is_staff: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_super_admin: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    is_active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=text("true")
    )
    session_token: Mapped[str] = mapped_column(
        String(32), nullable=False, default=new_session_token
    )
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_login_ip: Mapped[str | None] = mapped_column(String(45), nullable=True)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    # The three members Flask-Login asks of a signed-in user (is_active is the column).
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """The session identity: rotating session_token signs out every session of the user."""
        return f"{self.uuid}:{self.session_token}"


# Email-prefix search of the users pages; the operator class only exists on PostgreSQL.
Index(
    "ix_users_tenant_lower_email",
    User.tenant_id,
    func.lower(User.email).label("lower_email"),
    postgresql_ops={"lower_email": "text_pattern_ops"},
)


class ApiToken(UuidMixin, TimestampMixin, Base):
    """An internal API token for platform-host callers; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    token_prefix: Mapped[str] = mapped_column(String(8), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CacheInvalidation(Base):
    """A message of the invalidation bus when there is no Redis; listeners poll by id."""

    __tablename__ = "cache_invalidations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, server_default=func.now(), index=True
    )
