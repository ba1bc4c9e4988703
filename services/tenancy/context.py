"""The one holder of "who is current": tenant, platform or none, plus the scopes that change it."""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from services.errors import NoTenantContext

log = logging.getLogger("tenancy")

PAYLOAD_SCHEMA = 1


@dataclass(frozen=True)
class TenantContext:
    """What every request needs to know about its tenant, built from the cached payload."""

    id: int
    uuid: str
    slug: str
    name: str
    status: str
    version: int
    default_currency: str
    timezone: str = "UTC"
    locale: str = "en"
    platform_plan_id: int | None = None
    trial_ends_at: datetime | None = None
    status_reason: str | None = None
    domains: tuple[tuple[str, str, bool], ...] = ()
    loaded_at: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @cached_property
    def hosts(self) -> frozenset[str]:
        return frozenset(host for host, _, _ in self.domains)

    @cached_property
    def primary_host(self) -> str:
        for host, _, primary in self.domains:
            if primary:
                return host
        return self.domains[0][0] if self.domains else ""

    @cached_property
    def scope(self) -> Scope:
        """The scope a request or task of this tenant runs in, built once per cached payload."""
        return Scope(kind="tenant", tenant=self)

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_suspended(self) -> bool:
        return self.status == "suspended"

    def in_trial(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return (
            self.status == "trial" and self.trial_ends_at is not None and self.trial_ends_at > now
        )

    def to_payload(self) -> dict:
        return {
            "schema": PAYLOAD_SCHEMA,
            "version": self.version,
            "id": self.id,
            "uuid": self.uuid,
            "slug": self.slug,
            "name": self.name,
            "status": self.status,
            "status_reason": self.status_reason,
            "platform_plan_id": self.platform_plan_id,
            "trial_ends_at": self.trial_ends_at.isoformat() if self.trial_ends_at else None,
            "timezone": self.timezone,
            "locale": self.locale,
            "default_currency": self.default_currency,
            "domains": [{"host": h, "kind": k, "is_primary": p} for h, k, p in self.domains],
            "loaded_at": self.loaded_at,
        }

    @classmethod
    def from_payload(cls, payload: dict) -> TenantContext:
        trial = payload.get("trial_ends_at")
        return cls(
            id=int(payload["id"]),
            uuid=str(payload["uuid"]),
            slug=payload["slug"],
            name=payload["name"],
            status=payload["status"],
            version=int(payload["version"]),
            default_currency=payload["default_currency"],
            timezone=payload.get("timezone") or "UTC",
            locale=payload.get("locale") or "en",
            platform_plan_id=payload.get("platform_plan_id"),
            trial_ends_at=datetime.fromisoformat(trial) if trial else None,
            status_reason=payload.get("status_reason"),
            domains=tuple(
                (d["host"], d["kind"], bool(d["is_primary"])) for d in payload["domains"]
            ),
            loaded_at=payload.get("loaded_at", ""),
        )


@dataclass(frozen=True)
class Scope:
    """The current context: kind is 'none', 'platform' or 'tenant'; bypass inside platform_scope."""

    kind: str = "none"
    tenant: TenantContext | None = None
    bypass: bool = False
    reason: str | None = None


_NONE = Scope()
_current: contextvars.ContextVar[Scope] = contextvars.ContextVar("tenancy_scope", default=_NONE)

# Called with (old_scope, new_scope) whenever the visible rows change; the scoping module
# registers the session flush-and-expunge here so this module needs no database import.
_switch_hooks: list = []
platform_scope_counter = {"entries": 0}


def current_scope() -> Scope:
    return _current.get()


def current_tenant() -> TenantContext:
    tenant = _current.get().tenant
    if tenant is None:
        raise NoTenantContext("no tenant context")
    return tenant


def current_tenant_or_none() -> TenantContext | None:
    return _current.get().tenant


def current_tenant_id() -> int:
    return current_tenant().id


def is_platform_context() -> bool:
    return _current.get().kind == "platform"


def _visible_rows_change(old: Scope, new: Scope) -> bool:
    old_tid = old.tenant.id if old.tenant else None
    new_tid = new.tenant.id if new.tenant else None
    return old_tid != new_tid or old.bypass != new.bypass


def set_scope(scope: Scope) -> contextvars.Token:
    """Enter a scope; returns the token to give to reset_scope (requests and tasks use this)."""
    old = _current.get()
    if _visible_rows_change(old, scope):
        for hook in _switch_hooks:
            hook(old, scope)
    return _current.set(scope)


def reset_scope(token: contextvars.Token) -> None:
    current = _current.get()
    previous = token.old_value if token.old_value is not contextvars.Token.MISSING else _NONE
    if _visible_rows_change(current, previous):
        for hook in _switch_hooks:
            hook(current, previous)
    _current.reset(token)


def enter_tenant(tenant: TenantContext) -> contextvars.Token:
    return set_scope(tenant.scope)


def enter_platform() -> contextvars.Token:
    return set_scope(Scope(kind="platform"))


@contextmanager
def tenant_scope(tenant) -> Iterator[TenantContext]:
    """Run the block as `tenant` (a TenantContext or an id); a no-op when already that tenant."""
    if not isinstance(tenant, TenantContext):
        from services.tenancy.resolver import get_tenant

        tenant = get_tenant(int(tenant))
    current = _current.get()
    if current.tenant is not None and current.tenant.id == tenant.id and not current.bypass:
        yield current.tenant
        return
    token = enter_tenant(tenant)
    try:
        yield tenant
    finally:
        reset_scope(token)


@contextmanager
def platform_scope(reason: str) -> Iterator[None]:
    """The named escape hatch: tenant filters are off for the block; every entry is logged."""
    if not reason or not reason.strip():
        raise ValueError("platform_scope needs a reason")
    # The frame itself, not inspect.stack(): that reads every frame's source file (~1 ms).
    caller = sys._getframe(2)
    outer = _current.get()
    platform_scope_counter["entries"] += 1
    log.info(
        "tenancy.platform_scope reason=%s caller=%s:%s:%s outer=%s tenant=%s",
        reason,
        caller.f_code.co_filename.rsplit("/", 1)[-1],
        caller.f_code.co_name,
        caller.f_lineno,
        outer.kind,
        outer.tenant.id if outer.tenant else None,
    )
    token = set_scope(Scope(kind=outer.kind, tenant=outer.tenant, bypass=True, reason=reason))
    try:
        yield
    finally:
        reset_scope(token)
