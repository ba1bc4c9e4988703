"""Declarative base with the naming convention, shared column types and the scoping mixins."""

import uuid as uuid_lib
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    TypeDecorator,
    Uuid,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY, so big ids fall back to INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite returns naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware UTC times only")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware and in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every model; one metadata with a stable constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """`created_at` and `updated_at`, set by the database default and the ORM on update."""

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, server_default=func.now(), onupdate=utcnow
    )


class UuidMixin:
    """A public UUID next to the integer primary key (global decision 6)."""

    uuid: Mapped[uuid_lib.UUID] = mapped_column(
        Uuid(), unique=True, nullable=False, default=uuid_lib.uuid4
    )


class TenantScoped:
    """Rows owned by one tenant: queries are filtered to the current tenant automatically."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(
            BigId, ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False, index=True
        )


class TenantOrPlatformScoped:
    """Rows of a tenant or of the platform (tenant_id null); tenant context sees its own,
    platform context sees the platform's."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(
            BigId, ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=True, index=True
        )
