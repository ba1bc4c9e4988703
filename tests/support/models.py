"""Tenant-owned models that exist only in tests (no area owns one yet); tables are created
inside each test's transaction."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, TenantScoped


class ScopedFolder(TenantScoped, Base):
    __tablename__ = "test_scoped_folders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    notes: Mapped[list["ScopedNote"]] = relationship(back_populates="folder", lazy="select")


class ScopedNote(TenantScoped, Base):
    __tablename__ = "test_scoped_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    body: Mapped[str] = mapped_column(String(50))
    folder_id: Mapped[int | None] = mapped_column(ForeignKey("test_scoped_folders.id"))
    folder: Mapped[ScopedFolder | None] = relationship(back_populates="notes")


TABLES = [ScopedFolder.__table__, ScopedNote.__table__]
