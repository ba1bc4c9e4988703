"""Automatic row scoping of tenant-owned models (spec 10 §7, acceptance 27-29)."""

import logging

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import User
from services.errors import CrossTenantWrite, NoTenantContext
from services.tenancy import platform_scope, tenant_scope
from tests.support.models import TABLES, ScopedFolder, ScopedNote


@pytest.fixture
def two_tenants(ctx, tenant_factory):
    with db.session.begin_nested():
        for table in TABLES:
            table.create(bind=db.session.connection())
    a, b = tenant_factory(slug="scope-a"), tenant_factory(slug="scope-b")
    for tenant, label in ((a, "A"), (b, "B")):
        with tenant_scope(tenant.id):
            folder = ScopedFolder(title=f"folder {label}")
            db.session.add(folder)
            db.session.flush()
            db.session.add_all(
                [ScopedNote(body=f"{label}{i}", folder_id=folder.id) for i in range(3)]
            )
            db.session.commit()
    return a, b


def bodies(rows):
    return sorted(r.body for r in rows)


def test_select_in_tenant_context_returns_only_its_rows(two_tenants):
    a, b = two_tenants
    with tenant_scope(a.id):
        assert bodies(db.session.scalars(select(ScopedNote))) == ["A0", "A1", "A2"]
    with tenant_scope(b.id):
        assert bodies(db.session.scalars(select(ScopedNote))) == ["B0", "B1", "B2"]


def test_joins_relationships_and_lazy_loads_are_scoped(two_tenants):
    a, _ = two_tenants
    with tenant_scope(a.id):
        folders = db.session.scalars(select(ScopedFolder)).all()
        assert [f.title for f in folders] == ["folder A"]
        assert bodies(folders[0].notes) == ["A0", "A1", "A2"]
        joined = db.session.scalars(select(ScopedNote).join(ScopedNote.folder)).all()
        assert bodies(joined) == ["A0", "A1", "A2"]


def test_bulk_update_touches_only_the_current_tenant(two_tenants):
    a, b = two_tenants
    with tenant_scope(a.id):
        db.session.execute(update(ScopedNote).values(body="changed"))
        db.session.commit()
    with tenant_scope(b.id):
        assert bodies(db.session.scalars(select(ScopedNote))) == ["B0", "B1", "B2"]
    with tenant_scope(a.id):
        assert bodies(db.session.scalars(select(ScopedNote))) == ["changed"] * 3


def test_platform_context_raises_and_platform_scope_sees_all(two_tenants, platform, caplog):
    with pytest.raises(NoTenantContext):
        db.session.scalars(select(ScopedNote)).all()
    with caplog.at_level(logging.INFO, "tenancy"), platform_scope("tests: count every note"):
        assert len(db.session.scalars(select(ScopedNote)).all()) == 6
    assert "tenancy.platform_scope reason=tests: count every note" in caplog.text


def test_no_context_raises(two_tenants):
    with pytest.raises(NoTenantContext):
        db.session.scalars(select(ScopedNote)).all()
    with pytest.raises(NoTenantContext):
        db.session.scalars(select(User)).all()


def test_new_rows_get_the_current_tenant_and_cross_writes_raise(two_tenants):
    a, b = two_tenants
    with tenant_scope(a.id):
        note = ScopedNote(body="fresh")
        db.session.add(note)
        db.session.flush()
        assert note.tenant_id == a.id
        db.session.add(ScopedNote(body="stolen", tenant_id=b.id))
        with pytest.raises(CrossTenantWrite):
            db.session.flush()
        db.session.rollback()
    with tenant_scope(a.id):
        note = db.session.scalars(select(ScopedNote)).first()
        note.tenant_id = b.id
        with pytest.raises(CrossTenantWrite):
            db.session.flush()
        db.session.rollback()


def test_switching_tenants_empties_the_identity_map(two_tenants):
    a, b = two_tenants
    with tenant_scope(a.id):
        note = db.session.scalars(select(ScopedNote)).first()
        assert note in db.session
        with tenant_scope(b.id):
            assert note not in db.session
            assert db.session.get(ScopedNote, note.id) is None


def test_users_are_tenant_or_platform_scoped(ctx, tenant_factory, user_factory):
    a, b = tenant_factory(), tenant_factory()
    user_factory(tenant=a, email="same@example.com")
    user_factory(tenant=b, email="same@example.com")
    user_factory(tenant=None, email="staffer@example.com")
    with tenant_scope(a.id):
        rows = db.session.scalars(select(User)).all()
        assert [(u.email, u.tenant_id) for u in rows] == [("same@example.com", a.id)]
    from services.tenancy import context

    token = context.enter_platform()
    try:
        assert [u.email for u in db.session.scalars(select(User))] == ["staffer@example.com"]
    finally:
        context.reset_scope(token)


def test_a_platform_scope_keeps_the_current_tenants_rows_and_drops_the_others(two_tenants):
    """Entering and leaving platform_scope keeps rows the tenant may see attached (also rows a
    rollback expired) and drops the other tenant's rows loaded inside it."""
    a, b = two_tenants
    with tenant_scope(a.id):
        own = db.session.scalars(select(ScopedNote).order_by(ScopedNote.body)).first()
        db.session.rollback()  # expires `own`, as a refused form does before the page renders
        with platform_scope("tests: a cross-tenant read"):
            foreign = db.session.scalars(
                select(ScopedNote).where(ScopedNote.tenant_id == b.id)
            ).first()
        assert own in db.session and own.body == "A0"
        assert foreign not in db.session
