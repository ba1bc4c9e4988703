"""Publications and what describes them: prices, contributors, BISAC codes, taxonomies and terms
(spec 70 §1.1–1.2)."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
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
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, TenantScoped, TimestampMixin, UTCDateTime, UuidMixin

FILE_TYPES = ("pdf", "epub", "audio")
AUDIENCES = (
    "general",
    "children",
    "young_adult",
    "school",
    "higher_education",
    "professional",
    "elt",
    "adult_education",
)
PUBLICATION_STATUSES = ("uploaded", "processing", "ready", "failed")
CONTRIBUTOR_ROLES = ("author", "editor", "translator", "illustrator", "narrator", "other")
COVER_SOURCES = ("uploaded", "generated")
# The search vectors exist on PostgreSQL only; SQLite keeps an unused text column so one model
# serves both (its search lives in the FTS5 table `catalog_fts`).
SearchVector = TSVECTOR().with_variant(Text(), "sqlite")


def _enum(values: tuple[str, ...], name: str, length: int = 16) -> Enum:
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


class Publication(UuidMixin, TimestampMixin, TenantScoped, Base):
    """A title a tenant uploaded (an "issue" in feature names); only the owner writes it."""

    __tablename__ = "publications"
    __table_args__ = (
        CheckConstraint("page_count IS NULL OR page_count >= 0", name="page_count_positive"),
        CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds >= 0", name="duration_positive"
        ),
        # Spec: (tenant_id, deleted_at, published_at DESC); a B-tree is read backwards just as
        # fast, and a plain column keeps SQLite's schema comparison exact.
        Index("ix_publications_listing", "tenant_id", "deleted_at", "published_at"),
        Index("ix_publications_tenant_status", "tenant_id", "status"),
        Index("ix_publications_edition", "tenant_id", "edition_prefix", "edition_date"),
        # Newest first across a large catalogue reads this instead of sorting every match.
        Index(
            "ix_publications_newest",
            text("published_at DESC NULLS LAST"),
            text("id DESC"),
            postgresql_where=text("deleted_at IS NULL"),
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_publications_search_vector",
            "search_vector",
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    file_type: Mapped[str] = mapped_column(_enum(FILE_TYPES, "file_type", 8), nullable=False)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    audience: Mapped[str | None] = mapped_column(_enum(AUDIENCES, "audience", 24), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    is_free: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    is_physical: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    is_adult: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    retail_licensed: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    marketplace_listed: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    status: Mapped[str] = mapped_column(
        _enum(PUBLICATION_STATUSES, "status", 12),
        nullable=False,
        default="uploaded",
        server_default="uploaded",
    )
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cover_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    cover_source: Mapped[str | None] = mapped_column(
        _enum(COVER_SOURCES, "cover_source", 10), nullable=True
    )
    source_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    source_filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    source_size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    asset_revision: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    edition_prefix: Mapped[str | None] = mapped_column(String(32), nullable=True)
    edition_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    search_vector: Mapped[str | None] = mapped_column(SearchVector, nullable=True, deferred=True)
    created_by_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    contributor_links: Mapped[list["PublicationContributor"]] = relationship(
        order_by="(PublicationContributor.position, PublicationContributor.role)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    bisac_links: Mapped[list["PublicationBisac"]] = relationship(
        order_by="PublicationBisac.position", cascade="all, delete-orphan", passive_deletes=True
    )


class PublicationPrice(TenantScoped, Base):
    """What the selling tenant asks for a publication in one currency, in minor units."""

    __tablename__ = "publication_prices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "publication_id", "currency", name="uq_publication_prices"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    publication_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("publications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    currency: Mapped[str] = mapped_column(
        String(3), ForeignKey("currencies.code", ondelete="RESTRICT"), nullable=False
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Contributor(UuidMixin, TenantScoped, Base):
    """A person credited on publications of one tenant (author, translator, narrator...)."""

    __tablename__ = "contributors"
    __table_args__ = (
        Index("uq_contributors_tenant_name", "tenant_id", func.lower(text("name")), unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    sort_name: Mapped[str] = mapped_column(String(200), nullable=False)


class PublicationContributor(TenantScoped, Base):
    """A contributor's credit on a publication, in display order; carries the owner's tenant."""

    __tablename__ = "publication_contributors"

    publication_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True
    )
    contributor_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("contributors.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(_enum(CONTRIBUTOR_ROLES, "role", 12), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")

    contributor: Mapped[Contributor] = relationship(lazy="joined")


class BisacSubject(Base):
    """The platform's reference list of BISAC subject headings (optional per code)."""

    __tablename__ = "bisac_subjects"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    heading: Mapped[str] = mapped_column(String(200), nullable=False)


class PublicationBisac(TenantScoped, Base):
    """A BISAC code on a publication (at most three, checked by the service)."""

    __tablename__ = "publication_bisacs"
    __table_args__ = (
        CheckConstraint("code ~ '^[A-Z]{3}[0-9]{6}$'", name="code_format").ddl_if(
            dialect="postgresql"
        ),
    )

    publication_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(9), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")


class Taxonomy(UuidMixin, TimestampMixin, TenantScoped, Base):
    """A tenant's way of tagging its catalogue (category, keyword...); one may be collections."""

    __tablename__ = "taxonomies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "slug", name="uq_taxonomies_tenant_slug"),
        CheckConstraint("max_filter_terms IN (1, 2)", name="max_filter_terms_range"),
        CheckConstraint("slug ~ '^[a-z][a-z0-9_]{1,39}$'", name="slug_format").ddl_if(
            dialect="postgresql"
        ),
        Index(
            "uq_taxonomies_one_collection",
            "tenant_id",
            unique=True,
            postgresql_where=text("is_collection"),
            sqlite_where=text("is_collection"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    slug: Mapped[str] = mapped_column(String(40), nullable=False)
    is_collection: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    max_filter_terms: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, default=1, server_default="1"
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")

    terms: Mapped[list["TaxonomyTerm"]] = relationship(
        back_populates="taxonomy",
        order_by="(TaxonomyTerm.position, TaxonomyTerm.name)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class TaxonomyTerm(UuidMixin, TenantScoped, Base):
    """One value of a taxonomy; a restricted collection term is only for entitled users."""

    __tablename__ = "taxonomy_terms"
    __table_args__ = (
        UniqueConstraint("taxonomy_id", "slug", name="uq_taxonomy_terms_taxonomy_slug"),
        CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format").ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    taxonomy_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("taxonomies.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    slug: Mapped[str] = mapped_column(String(120), nullable=False)
    restricted: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")

    taxonomy: Mapped[Taxonomy] = relationship(back_populates="terms")


class PublicationTerm(TenantScoped, Base):
    """A term the tagging tenant put on a publication of its catalogue (owned or not)."""

    __tablename__ = "publication_terms"

    tenant_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    publication_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True
    )
    term_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("taxonomy_terms.id", ondelete="CASCADE"), primary_key=True, index=True
    )
