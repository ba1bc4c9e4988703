"""Single flight, fail-open and cross-process invalidation (spec 10 §4.5, §5; acceptance 16,
17, 20, 21). These tests commit for real: other threads and processes must see the rows."""

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.extensions import cache, db
from services.tenancy import context, domains, loader
from services.tenancy import tenants as tenant_service
from services.tenancy.resolver import domain_key, get_resolver
from tests.factories import ACTOR

pytestmark = pytest.mark.committing
ROOT = Path(__file__).resolve().parents[3]


def _seed(app, slug, extra_host=None):
    with app.app_context():
        token = context.enter_platform()
        try:
            tenant, _ = tenant_service.create_tenant(ACTOR, slug=slug, name=f"Store {slug}")
            if extra_host:
                domains.add_domain(ACTOR, tenant, extra_host)
            db.session.commit()
            return tenant.id
        finally:
            context.reset_scope(token)
            db.session.remove()


def _stampede(app, host, threads=50):
    get_resolver().l1.clear()
    cache.clear()
    before = loader.stats["queries"]
    barrier = threading.Barrier(threads)
    seen = []

    def work():
        with app.app_context():
            barrier.wait()
            seen.append(get_resolver().resolve_host(host).id)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return loader.stats["queries"] - before, seen


def test_fifty_cold_requests_issue_one_query_in_process(app):
    tenant_id = _seed(app, "herd-mem")
    queries, seen = _stampede(app, "herd-mem.localhost")
    assert queries == 1
    assert seen == [tenant_id] * 50


def test_fifty_cold_requests_issue_one_query_with_redis(build_app, redis_url):
    redis_app = build_app(REDIS_URL=redis_url, BUS="redis")
    tenant_id = _seed(redis_app, "herd-redis")
    queries, seen = _stampede(redis_app, "herd-redis.localhost")
    assert queries == 1
    assert seen == [tenant_id] * 50


def test_two_processes_stampede_one_query_with_redis(app, database_url, redis_url):
    tenant_id = _seed(app, "herd-procs")
    start_at = f"{time.time() + 2.5:.3f}"
    argv = [
        sys.executable,
        "-m",
        "tests.support.stampede",
        database_url,
        redis_url,
        "herd-procs.localhost",
        "25",
        start_at,
    ]
    procs = [
        subprocess.Popen(
            argv, cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "APP_ENV": "test"}
        )
        for _ in range(2)
    ]
    reports = [json.loads(p.communicate(timeout=60)[0].strip().splitlines()[-1]) for p in procs]
    assert sum(r["queries"] for r in reports) == 1
    assert [i for r in reports for i in r["ids"]] == [tenant_id] * 50


def test_waiters_fail_open_after_three_seconds(app, caplog):
    tenant_id = _seed(app, "slow-lock")
    host = "slow-lock.localhost"
    assert cache.lock(f"tenant:lock:domain:{host}", 10)  # a holder that never finishes
    before = loader.stats["queries"]
    results, started = [], time.monotonic()

    def waiter():
        with app.app_context():
            results.append(get_resolver().resolve_host(host).id)

    pool = [threading.Thread(target=waiter) for _ in range(3)]
    with caplog.at_level(logging.WARNING, "tenancy"):
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=10)
    elapsed = time.monotonic() - started
    assert results == [tenant_id] * 3
    assert 3.0 <= elapsed < 6.0
    assert loader.stats["queries"] - before == 3  # each waiter asked the database itself
    assert cache.get(domain_key(host)) is None  # and none of them wrote the cache
    assert "tenancy.lock_timeout" in caplog.text


def _watch(database_url, redis_url, host, mode):
    argv = [
        sys.executable,
        "-m",
        "tests.support.l1_watcher",
        database_url,
        redis_url or "-",
        host,
        mode,
    ]
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "APP_ENV": "test"}
    )
    assert proc.stdout.readline().startswith("ready")
    assert proc.stdout.readline().strip() == "listening"
    return proc


def _seen_after(proc, started):
    line = proc.stdout.readline().split()
    proc.wait(timeout=15)
    assert line and line[0] == "seen", line
    return float(line[1]) - started


@pytest.mark.parametrize("bus_kind", ["redis", "table"])
def test_rename_reaches_another_process_within_a_second(build_app, database_url, request, bus_kind):
    redis_url = request.getfixturevalue("redis_url") if bus_kind == "redis" else None
    writer = build_app(REDIS_URL=redis_url, BUS=bus_kind)
    tenant_id = _seed(writer, f"bus-{bus_kind}")
    watcher = _watch(database_url, redis_url, f"bus-{bus_kind}.localhost", "rename")
    with writer.app_context():
        token = context.enter_platform()
        tenant = db.session.get(tenant_service.Tenant, tenant_id)
        started = time.time()
        tenant_service.update_tenant(ACTOR, tenant, name="Renamed everywhere")
        db.session.commit()
        context.reset_scope(token)
    assert _seen_after(watcher, started) < 1.0


@pytest.mark.parametrize("bus_kind", ["redis", "table"])
def test_removed_domain_is_gone_in_another_process_within_a_second(
    build_app, database_url, request, bus_kind
):
    redis_url = request.getfixturevalue("redis_url") if bus_kind == "redis" else None
    writer = build_app(REDIS_URL=redis_url, BUS=bus_kind)
    host = f"gone-{bus_kind}.example.com"
    _seed(writer, f"gone-{bus_kind}", extra_host=host)
    watcher = _watch(database_url, redis_url, host, "gone")
    with writer.app_context():
        token = context.enter_platform()
        started = time.time()
        domains.remove_domain(ACTOR, host)
        db.session.commit()
        context.reset_scope(token)
    assert _seen_after(watcher, started) < 1.0
