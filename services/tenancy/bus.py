"""The invalidation bus: Redis pub/sub, a polled table without Redis, or synchronous in tests."""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, insert, select

from app.cache import CacheError
from app.extensions import cache, db
from app.models.tenancy import CacheInvalidation

log = logging.getLogger("tenancy")

CHANNEL = "cache:invalidate"

# Handlers get the message and whether it was published by this very process.
Handler = Callable[[dict, bool], None]

_origin = {"pid": None, "value": ""}


def origin() -> str:
    """Identifies this process (renewed after a fork) so its listener skips its own messages."""
    pid = os.getpid()
    if _origin["pid"] != pid:
        _origin.update(pid=pid, value=f"{socket.gethostname()}:{pid}:{secrets.token_hex(4)}")
    return _origin["value"]


class Bus:
    """Delivers invalidation messages to every process; each applies them to its own tiers."""

    def __init__(self):
        self.mode = "sync"
        self.handlers: list[Handler] = []
        self.poll_interval = 0.5
        self._app = None
        self._listener_pid: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def configure(self, app, mode: str) -> None:
        if mode == "auto":
            mode = "redis" if app.config.get("REDIS_URL") else "table"
        self.mode = mode
        self._app = app
        self.poll_interval = app.config.get("BUS_POLL_INTERVAL", 0.5)

    def add_handler(self, handler: Handler) -> None:
        if handler not in self.handlers:
            self.handlers.append(handler)

    def remove_handler(self, handler: Handler) -> None:
        if handler in self.handlers:
            self.handlers.remove(handler)

    def apply(self, message: dict, local: bool = False) -> None:
        for handler in list(self.handlers):
            try:
                handler(message, local)
            except Exception:  # one broken handler must not stop the others
                log.exception("tenancy.bus_handler_failed message=%s", message)

    def publish(self, message: dict, bind=None) -> None:
        """Send after the commit; this process applies it at once, the others via the listener."""
        message = {**message, "origin": origin()}
        self.apply(message, local=True)
        if self.mode == "redis":
            try:
                cache.publish(CHANNEL, json.dumps(message))
            except CacheError as exc:
                log.warning("tenancy.bus_publish_failed %s", exc)
        elif self.mode == "table":
            self._insert_row(message, bind)

    def _insert_row(self, message: dict, bind) -> None:
        bind = bind if bind is not None else db.engine
        statement = insert(CacheInvalidation).values(message=json.dumps(message))
        if isinstance(bind, Engine):
            with bind.begin() as conn:
                conn.execute(statement)
        else:  # a test's connection inside its outer transaction
            with bind.begin_nested():
                bind.execute(statement)

    # -- listener ---------------------------------------------------------------------------
    def ensure_listener(self) -> None:
        """Start this process's listener thread once (again after a fork)."""
        if self.mode == "sync" or self._app is None:
            return
        pid = os.getpid()
        if self._listener_pid == pid:
            return
        with self._lock:
            if self._listener_pid == pid:
                return
            self._listener_pid = pid
            # Each listener gets its own stop event, so stopping one never revives another.
            self._stop = stop = threading.Event()
            target = self._listen_redis if self.mode == "redis" else self._poll_table
            threading.Thread(target=target, args=(stop,), name="tenancy-bus", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._listener_pid = None

    def _listen_redis(self, stop: threading.Event) -> None:
        backoff = 0.1
        while not stop.is_set():
            try:
                client = cache.backend.pubsub_client()
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                backoff = 0.1
                while not stop.is_set():
                    item = pubsub.get_message(timeout=0.2)
                    if item and item.get("type") == "message":
                        self._receive(item["data"])
                pubsub.close()
            except Exception as exc:
                # Messages may have been missed while disconnected: forget everything local.
                log.warning("tenancy.bus_disconnected %s", exc)
                self.apply({"type": "all"})
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    def _receive(self, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("tenancy.bus_bad_message %r", raw[:200])
            return
        if message.get("origin") == origin():
            return  # already applied when this process published it
        self.apply(message)

    def _poll_table(self, stop: threading.Event) -> None:
        last_id = None
        while not stop.is_set():
            try:
                with self._app.app_context(), db.engine.connect() as conn:
                    if last_id is None:
                        last_id = (
                            conn.scalar(
                                select(CacheInvalidation.id)
                                .order_by(CacheInvalidation.id.desc())
                                .limit(1)
                            )
                            or 0
                        )
                    rows = conn.execute(
                        select(CacheInvalidation.id, CacheInvalidation.message)
                        .where(CacheInvalidation.id > last_id)
                        .order_by(CacheInvalidation.id)
                    ).all()
                for row in rows:
                    last_id = row.id
                    self._receive(row.message)
            except Exception as exc:
                log.warning("tenancy.bus_poll_failed %s", exc)
            stop.wait(self.poll_interval)


bus = Bus()
