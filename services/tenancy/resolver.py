"""Host, id and uuid resolution through the per-process L1 and the shared L2 cache."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import OrderedDict

from app.cache import CacheError
from app.extensions import cache, db
from services.errors import TenantNotFound
from services.tenancy import loader
from services.tenancy.context import PAYLOAD_SCHEMA, TenantContext, current_tenant_or_none

log = logging.getLogger("tenancy")

NEGATIVE_TTL = 60
LOCK_TTL = 10
POLL_INTERVAL = 0.025
L1_SIZE = 10_000


def pointer_ttl() -> int:
    """Random per write, so entries written together do not expire together."""
    return random.randint(700, 1000)


def domain_key(host: str) -> str:
    return f"tenant:domain:{host}"


def uuid_key(value: str) -> str:
    return f"tenant:uuid:{value}"


def payload_key(tenant_id: int) -> str:
    return f"tenant:id:{tenant_id}"


def missing_key(host: str) -> str:
    return f"tenant:missing:{host}"


class LRU:
    """A bounded map of key to (value, expires_at) for one process."""

    def __init__(self, size: int = L1_SIZE):
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, now: float):
        with self.lock:
            item = self.data.get(key)
            if item is None:
                return None
            value, expires = item
            if expires is not None and expires <= now:
                del self.data[key]
                return None
            self.data.move_to_end(key)
            return value

    def put(self, key, value, expires: float | None) -> None:
        with self.lock:
            self.data[key] = (value, expires)
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def pop(self, key) -> None:
        with self.lock:
            self.data.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


class L1:
    """The per-process tier: pointers, payloads, negative hosts, newest announced versions."""

    def __init__(self, ttl: float = 30.0):
        self.ttl = ttl
        self.hosts = LRU()
        self.uuids = LRU()
        self.payloads = LRU()
        self.negative = LRU()
        self.min_version = LRU()

    def put_tenant(self, tenant: TenantContext, now: float, host: str | None = None) -> None:
        if tenant.version < (self.min_version.get(tenant.id, now) or 0):
            return  # I8: never cache what is older than the newest announced version
        expires = now + self.ttl
        self.payloads.put(tenant.id, tenant, expires)
        self.uuids.put(tenant.uuid, tenant.id, expires)
        if host:
            self.hosts.put(host, tenant.id, expires)

    def drop_tenant(self, tenant_id: int, hosts=(), version: int | None = None) -> None:
        if version is not None:
            self.min_version.put(tenant_id, version, None)
        self.payloads.pop(tenant_id)
        for host in hosts:
            self.hosts.pop(host)
            self.negative.pop(host)

    def clear(self) -> None:
        for lru in (self.hosts, self.uuids, self.payloads, self.negative):
            lru.clear()


class Resolver:
    """resolve_host / resolve_id / resolve_uuid with single flight and fail-open (spec 10 §4.5)."""

    def __init__(self, l1_ttl: float = 30.0, lock_wait: float = 3.0):
        self.l1 = L1(l1_ttl)
        self.lock_wait = lock_wait
        self._last_error_log = 0.0

    # -- L2 helpers -------------------------------------------------------------------------
    def _read_payload(self, tenant_id: int) -> TenantContext | None:
        raw = cache.get(payload_key(tenant_id))
        if raw is None:
            return None
        data = json.loads(raw)
        if data.get("schema") != PAYLOAD_SCHEMA:
            return None
        return TenantContext.from_payload(data)

    def write_payload(self, tenant: TenantContext) -> bool:
        return cache.set_if_newer(
            payload_key(tenant.id),
            json.dumps(tenant.to_payload()),
            tenant.version,
            pointer_ttl(),
        )

    def _cache_failed(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_error_log >= 10:
            self._last_error_log = now
            log.warning("tenancy.cache_error %s", exc)

    # -- host -------------------------------------------------------------------------------
    def _l2_host(self, host: str):
        """One MGET; returns ('missing', None), ('found', tenant) or (None, None) for a miss."""
        negative, pointer = cache.mget(missing_key(host), domain_key(host))
        if negative is not None:
            return "missing", None
        if pointer is None:
            return None, None
        tenant = self._read_payload(int(pointer))
        if tenant is not None and host in tenant.hosts:
            return "found", tenant
        cache.delete(domain_key(host))  # I2: a pointer is trusted only if the payload lists it
        return None, None

    def resolve_host(self, host: str) -> TenantContext | None:
        current = current_tenant_or_none()
        if current is not None and host in current.hosts:
            return current
        now = time.monotonic()
        # Hits first: nearly every request is one, and a host is only ever cached negative
        # while it belongs to no tenant (the payload must still list it to be trusted).
        tenant_id = self.l1.hosts.get(host, now)
        if tenant_id is not None:
            tenant = self.l1.payloads.get(tenant_id, now)
            if tenant is not None and host in tenant.hosts:
                return tenant
        if self.l1.negative.get(host, now):
            return None
        try:
            return self._resolve_host_l2(host, now)
        except CacheError as exc:
            self._cache_failed(exc)
            return loader.load(db.session, "host", host)

    def _remember_missing(self, host: str, now: float) -> None:
        remaining = cache.ttl(missing_key(host)) or NEGATIVE_TTL
        self.l1.negative.put(host, True, now + min(remaining, NEGATIVE_TTL))

    def _resolve_host_l2(self, host: str, now: float) -> TenantContext | None:
        outcome, tenant = self._l2_host(host)
        if outcome == "found":
            self.l1.put_tenant(tenant, now, host)
            return tenant
        if outcome == "missing":
            self._remember_missing(host, now)
            return None
        lock_key = f"tenant:lock:domain:{host}"
        token = cache.lock(lock_key, LOCK_TTL)
        if token:
            try:
                outcome, tenant = self._l2_host(host)
                if outcome is None:
                    tenant = loader.load(db.session, "host", host)
                    if tenant is None:
                        cache.set(missing_key(host), "1", NEGATIVE_TTL)
                    else:
                        self.write_payload(tenant)
                        cache.set(domain_key(host), str(tenant.id), pointer_ttl())
            finally:
                cache.unlock(lock_key, token)
            if tenant is None:
                self.l1.negative.put(host, True, now + NEGATIVE_TTL)
                return None
            self.l1.put_tenant(tenant, now, host)
            return tenant
        deadline = time.monotonic() + self.lock_wait
        while time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
            outcome, tenant = self._l2_host(host)
            if outcome == "found":
                self.l1.put_tenant(tenant, time.monotonic(), host)
                return tenant
            if outcome == "missing":
                self._remember_missing(host, time.monotonic())
                return None
        log.warning("tenancy.lock_timeout host=%s waited_ms=%d", host, int(self.lock_wait * 1000))
        return loader.load(db.session, "host", host)  # fail open, and leave the cache alone

    # -- id and uuid ------------------------------------------------------------------------
    def resolve_id(self, tenant_id: int) -> TenantContext | None:
        current = current_tenant_or_none()
        if current is not None and current.id == tenant_id:
            return current
        now = time.monotonic()
        tenant = self.l1.payloads.get(tenant_id, now)
        if tenant is not None:
            return tenant
        try:
            return self._resolve_by_key("id", tenant_id, now)
        except CacheError as exc:
            self._cache_failed(exc)
            return loader.load(db.session, "id", tenant_id)

    def resolve_uuid(self, value: str) -> TenantContext | None:
        value = str(value)
        current = current_tenant_or_none()
        if current is not None and current.uuid == value:
            return current
        now = time.monotonic()
        tenant_id = self.l1.uuids.get(value, now)
        if tenant_id is not None:
            tenant = self.l1.payloads.get(tenant_id, now)
            if tenant is not None and tenant.uuid == value:
                return tenant
        try:
            return self._resolve_by_key("uuid", value, now)
        except CacheError as exc:
            self._cache_failed(exc)
            return loader.load(db.session, "uuid", value)

    def _l2_by_key(self, kind: str, key):
        if kind == "id":
            return self._read_payload(int(key))
        pointer = cache.get(uuid_key(key))
        if pointer is None:
            return None
        tenant = self._read_payload(int(pointer))
        if tenant is not None and tenant.uuid == key:
            return tenant
        cache.delete(uuid_key(key))
        return None

    def _resolve_by_key(self, kind: str, key, now: float) -> TenantContext | None:
        tenant = self._l2_by_key(kind, key)
        if tenant is None:
            lock_key = f"tenant:lock:{kind}:{key}"
            token = cache.lock(lock_key, LOCK_TTL)
            if token:
                try:
                    tenant = self._l2_by_key(kind, key)
                    if tenant is None:
                        tenant = loader.load(db.session, kind, key)
                        if tenant is not None:
                            self.write_payload(tenant)
                            cache.set(uuid_key(tenant.uuid), str(tenant.id), pointer_ttl())
                finally:
                    cache.unlock(lock_key, token)
            else:
                tenant = self._wait_for(kind, key)
        if tenant is not None:
            self.l1.put_tenant(tenant, now)
        return tenant

    def _wait_for(self, kind: str, key) -> TenantContext | None:
        deadline = time.monotonic() + self.lock_wait
        while time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
            tenant = self._l2_by_key(kind, key)
            if tenant is not None:
                return tenant
        log.warning(
            "tenancy.lock_timeout %s=%s waited_ms=%d", kind, key, int(self.lock_wait * 1000)
        )
        return loader.load(db.session, kind, key)


_resolver = Resolver()


def get_resolver() -> Resolver:
    return _resolver


def configure(l1_ttl: float, lock_wait: float) -> None:
    _resolver.l1.ttl = l1_ttl
    _resolver.lock_wait = lock_wait


def get_tenant(tenant_id: int) -> TenantContext:
    tenant = _resolver.resolve_id(int(tenant_id))
    if tenant is None:
        raise TenantNotFound(f"tenant {tenant_id} not found")
    return tenant
