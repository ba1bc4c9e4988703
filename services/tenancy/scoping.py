"""Automatic row scoping: session listeners that filter and guard tenant-owned models."""

from __future__ import annotations

from flask import has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.extensions import db
from app.models.base import TenantOrPlatformScoped, TenantScoped
from services.errors import CrossTenantWrite, NoTenantContext
from services.tenancy.context import Scope, _switch_hooks, current_scope

SKIP_OPTION = "skip_tenant_scope"
_UNKNOWN = object()


def _owned(mappers) -> tuple[bool, bool]:
    tenant_only = any(issubclass(m.class_, TenantScoped) for m in mappers)
    either = any(issubclass(m.class_, TenantOrPlatformScoped) for m in mappers)
    return tenant_only, either


def _filter(state: ORMExecuteState) -> None:
    if state.is_column_load or state.execution_options.get(SKIP_OPTION):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    tenant_only, either = _owned(state.all_mappers)
    if not (tenant_only or either):
        return
    scope = current_scope()
    if scope.bypass:
        return
    if scope.kind == "tenant":
        tid = scope.tenant.id
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantScoped, lambda cls: cls.tenant_id == tid, include_aliases=True
            ),
            with_loader_criteria(
                TenantOrPlatformScoped, lambda cls: cls.tenant_id == tid, include_aliases=True
            ),
        )
        return
    if scope.kind == "platform" and not tenant_only:
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantOrPlatformScoped, lambda cls: cls.tenant_id.is_(None), include_aliases=True
            )
        )
        return
    raise NoTenantContext(f"query on tenant data in {scope.kind} context")


def _guard_writes(session: Session, flush_context, instances) -> None:
    scope = current_scope()
    tid = scope.tenant.id if scope.tenant else None
    for obj in session.new:
        if isinstance(obj, TenantScoped):
            if obj.tenant_id is None:
                if tid is None:
                    raise NoTenantContext(f"new {type(obj).__name__} without a tenant")
                obj.tenant_id = tid
            elif tid is not None and obj.tenant_id != tid and not scope.bypass:
                raise CrossTenantWrite(f"new {type(obj).__name__} for tenant {obj.tenant_id}")
        elif isinstance(obj, TenantOrPlatformScoped):
            if obj.tenant_id is None and tid is not None and not scope.bypass:
                obj.tenant_id = tid
            elif (
                obj.tenant_id is not None
                and tid is not None
                and obj.tenant_id != tid
                and not scope.bypass
            ):
                raise CrossTenantWrite(f"new {type(obj).__name__} for tenant {obj.tenant_id}")
    for obj in session.dirty:
        if isinstance(obj, TenantScoped | TenantOrPlatformScoped):
            history = inspect(obj).attrs.tenant_id.history
            if history.deleted and history.added and history.deleted[0] != history.added[0]:
                raise CrossTenantWrite(f"tenant_id of {type(obj).__name__} is immutable")


def _tenant_id(session, obj):
    """The row's tenant_id, loading it when a rollback expired it (a column load, which the
    scope filter leaves alone); _UNKNOWN when the row is gone."""
    state = inspect(obj)
    if "tenant_id" not in state.dict and state.persistent:
        try:
            session.refresh(obj, ["tenant_id"])
        except SQLAlchemyError:
            return _UNKNOWN
    return state.dict.get("tenant_id", _UNKNOWN)


def _visible(session, obj, scope: Scope) -> bool:
    """Whether a loaded row may be handed out in `scope` (the same rule as _filter)."""
    if scope.bypass:
        return True
    if not isinstance(obj, TenantScoped | TenantOrPlatformScoped):
        return True
    tenant_id = _tenant_id(session, obj)
    if tenant_id is _UNKNOWN:
        return False
    if isinstance(obj, TenantScoped) or scope.kind == "tenant":
        return scope.tenant is not None and tenant_id == scope.tenant.id
    return scope.kind == "platform" and tenant_id is None


def _switch(old: Scope, new: Scope) -> None:
    """Flush, then drop from the identity map every row the new scope may not see, so no row
    of one scope is handed to another. Rows the new scope sees stay attached: entering a
    platform_scope for one read must not detach the signed-in user or the caller's objects."""
    if not has_app_context():
        return  # no application context: nothing is loaded anywhere
    session = db.session
    if not session.registry.has():
        return
    session = session()
    session.flush()
    for obj in list(session.identity_map.values()):
        # An expunge cascades along relationships, so a later row may already be gone.
        if obj in session and not _visible(session, obj, new):
            session.expunge(obj)


def install() -> None:
    if not event.contains(Session, "do_orm_execute", _filter):
        event.listen(Session, "do_orm_execute", _filter)
        event.listen(Session, "before_flush", _guard_writes)
    if _switch not in _switch_hooks:
        _switch_hooks.append(_switch)
