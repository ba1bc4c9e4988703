"""The shared cache interface (Redis or in-process) every area uses for L2, locks and counters."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable

import redis


class CacheError(RuntimeError):
    """The cache backend failed (timeout, connection); callers fall back to the database."""


_SET_IF_NEWER = """
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, obj = pcall(cjson.decode, cur)
  if ok and type(obj) == 'table' and obj['version']
     and tonumber(obj['version']) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _stored_version(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(json.loads(raw).get("version"))
    except (ValueError, TypeError, AttributeError):
        return None


class MemoryCache:
    """In-process cache with expiry, shared by the threads of one process."""

    shared_across_processes = False

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._data: dict[str, tuple[str, float | None]] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._subscribers: dict[str, list[Callable[[str], None]]] = {}

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._clock():
            del self._data[key]
            return None
        return value

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def mget(self, *keys: str) -> list[str | None]:
        with self._lock:
            return [self._live(k) for k in keys]

    def ttl(self, key: str) -> int | None:
        with self._lock:
            if self._live(key) is None:
                return None
            expires = self._data[key][1]
            return None if expires is None else max(0, round(expires - self._clock()))

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        with self._lock:
            self._data[key] = (value, self._clock() + ttl if ttl else None)

    def set_if_newer(self, key: str, payload: str, version: int, ttl: float) -> bool:
        with self._lock:
            stored = _stored_version(self._live(key))
            if stored is not None and stored > version:
                return False
            self._data[key] = (payload, self._clock() + ttl)
            return True

    def add(self, key: str, value: str, ttl: float) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (value, self._clock() + ttl)
            return True

    def incr(self, key: str, ttl: float) -> int:
        with self._lock:
            current = self._live(key)
            if current is None:
                self._data[key] = ("1", self._clock() + ttl)
                return 1
            value = int(current) + 1
            self._data[key] = (str(value), self._data[key][1])
            return value

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def lock(self, key: str, ttl: float) -> str | None:
        token = secrets.token_hex(8)
        return token if self.add(key, token, ttl) else None

    def unlock(self, key: str, token: str) -> bool:
        with self._lock:
            if self._live(key) == token:
                del self._data[key]
                return True
            return False

    def publish(self, channel: str, message: str) -> None:
        for callback in list(self._subscribers.get(channel, ())):
            callback(message)

    def subscribe(self, channel: str, callback: Callable[[str], None]) -> None:
        self._subscribers.setdefault(channel, []).append(callback)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class RedisCache:
    """Redis-backed cache; every failure surfaces as CacheError within the short timeouts."""

    shared_across_processes = True

    def __init__(self, url: str, connect_timeout: float = 0.05, read_timeout: float = 0.1):
        self.url = url
        self.client = redis.Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            socket_timeout=read_timeout,
            decode_responses=True,
            health_check_interval=30,
        )
        self._set_if_newer = self.client.register_script(_SET_IF_NEWER)
        self._release = self.client.register_script(_RELEASE)

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except redis.RedisError as exc:
            raise CacheError(str(exc)) from exc

    def get(self, key):
        return self._call(self.client.get, key)

    def mget(self, *keys):
        return self._call(self.client.mget, list(keys))

    def ttl(self, key):
        value = self._call(self.client.ttl, key)
        return None if value is None or value < 0 else value

    def set(self, key, value, ttl=None):
        self._call(lambda: self.client.set(key, value, ex=int(ttl) if ttl else None))

    def set_if_newer(self, key, payload, version, ttl):
        return bool(
            self._call(lambda: self._set_if_newer(keys=[key], args=[payload, version, int(ttl)]))
        )

    def add(self, key, value, ttl):
        return bool(self._call(lambda: self.client.set(key, value, nx=True, ex=max(1, int(ttl)))))

    def incr(self, key, ttl):
        def run():
            pipe = self.client.pipeline()
            pipe.incr(key)
            pipe.expire(key, int(ttl), nx=True)
            return pipe.execute()[0]

        return int(self._call(run))

    def delete(self, *keys):
        if keys:
            self._call(self.client.delete, *keys)

    def lock(self, key, ttl):
        token = secrets.token_hex(8)
        return token if self.add(key, token, ttl) else None

    def unlock(self, key, token):
        return bool(self._call(lambda: self._release(keys=[key], args=[token])))

    def publish(self, channel, message):
        self._call(self.client.publish, channel, message)

    def pubsub_client(self) -> redis.Redis:
        """A connection for a long-lived subscriber: no read timeout (it blocks on purpose)."""
        return redis.Redis.from_url(self.url, decode_responses=True, socket_connect_timeout=1)

    def clear(self):
        self._call(self.client.flushdb)


def build_cache(redis_url: str | None):
    return RedisCache(redis_url) if redis_url else MemoryCache()
