"""Other processes that watch kill switches and feature checks change (spec 20 §14): a web
server answering them over HTTP, and a plain process polling `platform.enabled`; the Celery
worker of tests/support/switch_worker.py polls with the same loop. Each writes its lines to a
report file the parent reads with `Report`.

usage: python -m tests.support.switch_watcher web REPORT DATABASE_URL REDIS_URL|-
       python -m tests.support.switch_watcher poll REPORT DATABASE_URL REDIS_URL|- NAME CHANGES
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from tests.conftest import make_test_app

WEB_HOST = "app.localhost"  # the platform host: routes run in platform context
POLL_SECONDS = 0.002
WATCH_SECONDS = 20.0
WATCH_TASK = "tests.watch_switch"  # registered by tests/support/switch_worker.py


def on_off(state: bool) -> str:
    return "on" if state else "off"


def build(database_url: str, redis_url: str | None, **overrides):
    """The app as a deployed process has it: the Redis bus with Redis, else the table bus."""
    return make_test_app(
        database_url, REDIS_URL=redis_url, BUS="redis" if redis_url else "table", **overrides
    )


def celery_settings(redis_url: str | None, broker_dir: str | None) -> dict:
    """Celery settings shared by the test worker and the parent that sends it work: Redis as
    the broker with Redis, else Kombu's filesystem transport in `broker_dir`."""
    settings = {"task_always_eager": False, "worker_enable_remote_control": False}
    if redis_url:
        return {**settings, "broker_url": redis_url, "broker_transport_options": {}}
    folder = Path(broker_dir or ".")
    return {
        **settings,
        "broker_url": "filesystem://",
        "broker_transport_options": {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        },
    }


def reporter(path: str):
    def report(line: str) -> None:
        with open(path, "a") as out:  # one write per line: the parent may read at any moment
            out.write(line + "\n")

    return report


def wait_for_listener(timeout: float = 15.0) -> None:
    """Return once this process's bus listener delivers a probe, so that no message the parent
    sends afterwards can be missed (the table poller only reads rows newer than its start)."""
    from sqlalchemy import insert

    from app.extensions import cache, db
    from app.models.tenancy import CacheInvalidation
    from services.tenancy.bus import CHANNEL, bus

    token = secrets.token_hex(6)
    seen = threading.Event()

    def probe_seen(message: dict, local: bool) -> None:
        if message.get("type") == "probe" and message.get("token") == token:
            seen.set()

    bus.add_handler(probe_seen)
    bus.ensure_listener()
    raw = json.dumps({"type": "probe", "token": token, "origin": "probe"})
    deadline = time.monotonic() + timeout
    try:
        while not seen.is_set():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {bus.mode} bus listener delivered no probe")
            if bus.mode == "redis":
                cache.publish(CHANNEL, raw)
                seen.wait(0.05)
            else:
                with db.engine.begin() as conn:
                    conn.execute(insert(CacheInvalidation).values(message=raw))
                seen.wait(bus.poll_interval * 2 + 0.1)
    finally:
        bus.remove_handler(probe_seen)


def watch(name: str, changes: int, report, seconds: float = WATCH_SECONDS) -> None:
    """Report the switch's state, then each change with the epoch time it was first seen,
    until `changes` changes were seen or `seconds` passed."""
    from app.extensions import db
    from services import platform

    state = platform.enabled(name)
    report(f"ready {on_off(state)}")
    deadline = time.monotonic() + seconds
    seen = 0
    while seen < changes and time.monotonic() < deadline:
        current = platform.enabled(name)
        if current != state:
            report(f"seen {time.time():.6f} {on_off(current)}")
            state, seen = current, seen + 1
        # As a job between batches: no transaction stays open across checks (an open SQLite
        # read transaction would keep reading its old snapshot).
        db.session.remove()
        time.sleep(POLL_SECONDS)
    if seen < changes:
        report("timeout")


def serve(report, database_url: str, redis_url: str | None) -> None:
    """A web process: GET /_test/switch/<name> answers on|off; GET /_test/feature/<tenant
    id>/<slug> answers the check and how often this process computed that tenant's map."""
    from werkzeug.serving import make_server

    from services import features, platform
    from services.features import resolution

    app = build(database_url, redis_url)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    computed: Counter = Counter()
    compute = resolution.compute

    def counted_compute(tenant, *args, **kwargs):
        computed[tenant.id] += 1
        return compute(tenant, *args, **kwargs)

    resolution.compute = counted_compute  # MapCache.get looks the function up at each call

    @app.get("/_test/switch/<name>")
    def switch_state(name):
        return on_off(platform.enabled(name))

    @app.get("/_test/feature/<int:tenant_id>/<slug>")
    def feature_state(tenant_id, slug):
        return {"enabled": features.enabled(tenant_id, slug), "computed": computed[tenant_id]}

    with app.app_context():
        wait_for_listener()
        platform.enabled("storefront_search")  # the snapshot, loaded before the parent writes
    server = make_server("127.0.0.1", 0, app, threaded=True)
    report(f"ready {server.server_port}")
    server.serve_forever()


class Report:
    """The parent's side: reads a child's report file line by line, with deadlines."""

    def __init__(self, path: Path, process=None, log: Path | None = None):
        self.path, self.process, self.log = Path(path), process, log
        self.lines: list[str] = []
        self._offset = self._consumed = 0

    def _read(self) -> None:
        if not self.path.exists():
            return
        with open(self.path) as handle:
            handle.seek(self._offset)
            chunk = handle.read()
        complete = chunk[: chunk.rfind("\n") + 1]  # a line still being written waits
        self._offset += len(complete)
        self.lines.extend(complete.splitlines())

    def next(self, timeout: float) -> str:
        """The next line, waiting up to `timeout` seconds (fails with the child's log)."""
        deadline = time.monotonic() + timeout
        while True:
            self._read()
            if len(self.lines) > self._consumed:
                self._consumed += 1
                return self.lines[self._consumed - 1]
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"child exited {self.process.returncode}: {self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no line from {self.path.name} in {timeout} s: {self.tail()}")
            time.sleep(0.005)

    def tail(self) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return self.log.read_text()[-3000:]


def main() -> int:
    mode, path, database_url, redis_url = sys.argv[1:5]
    redis_url = None if redis_url == "-" else redis_url
    report = reporter(path)
    if mode == "web":
        serve(report, database_url, redis_url)
        return 0
    name, changes = sys.argv[5], int(sys.argv[6])
    app = build(database_url, redis_url)
    with app.app_context():
        wait_for_listener()
        watch(name, changes, report)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("APP_ENV", "test")
    sys.exit(main())
