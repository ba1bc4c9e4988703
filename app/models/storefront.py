"""Catalogue scope and the storefront: catalogue entries, shares between tenants, sales and
reading stats, shelves, storefront settings and in-app notifications (spec 70 §1.2–1.3, §4)."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import (
    Base,
    BigId,
    TenantScoped,
    TimestampMixin,
    UTCDateTime,
    UuidMixin,
    utcnow,
)
from app.models.catalog import SearchVector

ENTRY_SOURCES = ("owned", "shared", "marketplace")
SHELF_KINDS = ("term", "filter", "manual")
SHELF_STYLES = ("carousel", "grid")
DISPLAY_MODES = ("custom", "collections", "latest", "recommended")


def _enum(values: tuple[str, ...], name: str, length: int = 16) -> Enum:
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


class CatalogEntry(TenantScoped, Base):
    """A publication in one tenant's catalogue: its own, shared with it, or from the marketplace."""

    __tablename__ = "catalog_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "publication_id", name="uq_catalog_entries_publication"),
        Index("ix_catalog_entries_tenant_enabled", "tenant_id", "enabled"),
        Index("ix_catalog_entries_terms_vector", "terms_vector", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
        Index("ix_catalog_entries_search_vector", "search_vector", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    publication_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("publications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    source: Mapped[str] = mapped_column(_enum(ENTRY_SOURCES, "source", 12), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    is_featured: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    terms_vector: Mapped[str | None] = mapped_column(SearchVector, nullable=True, deferred=True)
    # The publication's search_vector joined with terms_vector (search with terms matches it).
    search_vector: Mapped[str | None] = mapped_column(SearchVector, nullable=True, deferred=True)
    added_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class PublicationShare(UuidMixin, TenantScoped, Base):
    """The owner (tenant_id) lending a publication to another tenant's catalogue."""

    __tablename__ = "publication_shares"
    __table_args__ = (
        CheckConstraint("target_tenant_id <> tenant_id", name="not_to_self"),
        Index(
            "uq_publication_shares_active",
            "publication_id",
            "target_tenant_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    publication_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("publications.id", ondelete="CASCADE"), nullable=False
    )
    target_tenant_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_by_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PublicationStat(TenantScoped, Base):
    """Per selling tenant: sales of the last 90 days and reads of the last 30, refreshed nightly."""

    __tablename__ = "publication_stats"

    tenant_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    publication_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True
    )
    sales_90d: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    reads_30d: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class StorefrontShelf(UuidMixin, TenantScoped, Base):
    """A row of publications on the store's home page: by term, by stored filter, or hand-picked."""

    __tablename__ = "storefront_shelves"
    __table_args__ = (
        CheckConstraint("max_items BETWEEN 1 AND 48", name="max_items_range"),
        CheckConstraint("kind <> 'term' OR term_id IS NOT NULL", name="term_shelf_has_term"),
        CheckConstraint(
            "kind <> 'filter' OR filter_query IS NOT NULL", name="filter_shelf_has_query"
        ),
        Index("ix_storefront_shelves_tenant_position", "tenant_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    kind: Mapped[str] = mapped_column(_enum(SHELF_KINDS, "kind", 8), nullable=False)
    term_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("taxonomy_terms.id", ondelete="CASCADE"), nullable=True
    )
    filter_query: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    style: Mapped[str] = mapped_column(
        _enum(SHELF_STYLES, "style", 8), nullable=False, server_default="carousel"
    )
    max_items: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, default=12, server_default="12"
    )
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))


class StorefrontShelfItem(TenantScoped, Base):
    """A hand-picked publication on a manual shelf, in order."""

    __tablename__ = "storefront_shelf_items"

    shelf_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("storefront_shelves.id", ondelete="CASCADE"), primary_key=True
    )
    publication_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


class StorefrontSettings(TenantScoped, Base):
    """A tenant's storefront choices: the display mode of `/` and hiding adult content."""

    __tablename__ = "storefront_settings"

    tenant_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    display_mode: Mapped[str] = mapped_column(
        _enum(DISPLAY_MODES, "display_mode", 12), nullable=False, server_default="custom"
    )
    hide_adult_content: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow
    )


class Notification(TimestampMixin, TenantScoped, Base):
    """An in-app message to one user, shown under the control-panel header bell."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
