"""What a feature check costs and how fast a kill switch travels (spec 20 §14): warm
`features.enabled` / `features.limit` against a plain dict lookup in the same run, and the time
from a toggle in this process until a second process sees it."""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from sqlalchemy.engine import make_url

from benchmarks.tenant_resolution import (
    REDIS_URL,
    bench_config,
    percentile,
    scratch_database,
    verdict,
)
from tests.support.counting import CountingCache, count_queries
from tests.support.services import port_open

ROOT = Path(__file__).resolve().parent.parent
TARGET_CHECK_US = 5.0  # warm enabled()/limit() median
TARGET_CALLS_PER_SECOND = 200_000
TARGET_PROPAGATION_S = 1.0
BATCH = 100  # calls per timed sample: the clock's own cost stays out of the figure
SWITCH = "storefront_search"
POLL_PHASE_S = 0.5  # BUS_POLL_INTERVAL, the table poller's period
L2_KEYS = ("platform:switches", "features:catalog")  # left by other databases: never trusted


# -- setup ------------------------------------------------------------------------------------
def build_app(database_url: str, redis_url: str | None = None, bus: str = "sync"):
    from app import create_app

    return create_app({**bench_config(database_url), "REDIS_URL": redis_url, "BUS": bus})


def committed(app, work) -> tuple[float, object]:
    """Run work(actor) in platform context and commit; (the time just before, its result)."""
    from app.extensions import db
    from services.activity import Actor
    from services.tenancy import context

    with app.app_context():
        token = context.enter_platform()
        try:
            started = time.time()
            result = work(Actor(label="benchmark"))
            db.session.commit()
            return started, result
        finally:
            context.reset_scope(token)
            db.session.remove()


def seed(app) -> int:
    """Migrate, then one active tenant on a plan granting a boolean and a limit; its id."""
    import flask_migrate

    from services import currencies
    from services.features import definitions, grants
    from services.features.wiring import reset_process_state
    from services.tenancy import tenants as tenant_service
    from services.tenancy.resolver import get_resolver

    # Earlier benchmarks of this run leave another database's snapshots and tenants (same ids).
    reset_process_state()
    get_resolver().l1.clear()
    with app.app_context():
        flask_migrate.upgrade()

    def create(actor) -> int:
        currencies.seed()
        plan = definitions.create_plan(actor, slug="bench", name="Bench")
        for slug, value in (("discount_coupons", "enabled"), ("issues_limit", "500")):
            grants.set_grant(actor, plan, definitions.find_feature(slug), value)
        tenant, _ = tenant_service.create_tenant(
            actor, slug="bench-features", name="Bench Features", status="active"
        )
        grants.assign_plan(actor, tenant, plan)
        return tenant.id

    return committed(app, create)[1]


def toggle(app, on: bool) -> float:
    """Turn the switch on or off and commit; returns the time just before."""
    from services.features import kill_switches

    reason = f"benchmark: turned {'on' if on else 'off'}"
    return committed(app, lambda actor: kill_switches.toggle_switch(actor, SWITCH, on, reason))[0]


# -- warm checks ------------------------------------------------------------------------------
def interleaved(calls: dict, samples: int) -> dict[str, list[float]]:
    """µs per call of each callable, from `samples` timed batches of BATCH calls; the callables
    take turns batch by batch so that machine drift touches them all alike."""
    clock, loop = time.perf_counter_ns, range(BATCH)
    results: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(samples):
        for label, (fn, args) in calls.items():
            started = clock()
            for _ in loop:
                fn(*args)
            results[label].append((clock() - started) / BATCH / 1000)
    return results


def check_calls(tenant) -> dict:
    from services import features, platform

    plain = {"discount_coupons": True}

    def dict_lookup(tenant, slug):  # the baseline: the same call shape, one dict lookup inside
        return plain[slug]

    return {
        "plain dict lookup (baseline)": (dict_lookup, (tenant, "discount_coupons")),
        "features.enabled discount_coupons": (features.enabled, (tenant, "discount_coupons")),
        f"features.enabled {SWITCH}": (features.enabled, (tenant, SWITCH)),
        "features.limit issues_limit": (features.limit, (tenant, "issues_limit")),
        "features.within_limit issues_limit": (features.within_limit, (tenant, "issues_limit", 7)),
        "platform.enabled payment_sync": (platform.enabled, ("payment_sync",)),
    }


TARGETED = ("features.enabled discount_coupons", "features.limit issues_limit")


def warm_figures(app, tenant_id: int, calls: int) -> tuple[list[str], bool]:
    from app.extensions import cache
    from services.tenancy.resolver import get_tenant

    samples = max(1, calls // BATCH)
    with app.app_context():
        tenant = get_tenant(tenant_id)
        table = check_calls(tenant)
        answers = [fn(*args) for fn, args in table.values()]  # warm: every snapshot loaded
        if answers[1:4] != [True, True, 500]:
            raise RuntimeError(f"the bench tenant's checks answer {answers[1:4]}")
        counting = CountingCache(cache.backend)
        original, cache.backend = cache.backend, counting
        try:
            with count_queries() as statements:
                results = interleaved(table, samples)
        finally:
            cache.backend = original
    baseline = statistics.median(results["plain dict lookup (baseline)"])
    lines = [f"  {'':<40}{'median µs':>10} {'p99 µs':>8} {'calls/s':>12} {'x dict':>8}"]
    met = True
    for label, values in results.items():
        values.sort()
        median, p99 = statistics.median(values), percentile(values, 0.99)
        rate = len(values) / (sum(values) / 1e6)  # µs per call summed over the batches
        note, ok = "", median < TARGET_CHECK_US and rate >= TARGET_CALLS_PER_SECOND
        if label in TARGETED:
            met = met and ok
            note = f"  target < {TARGET_CHECK_US:g} µs, >= {TARGET_CALLS_PER_SECOND:,}/s: "
            note += verdict(ok)
        row = f"{median:>10.3f} {p99:>8.3f} {rate:>12,.0f} {median / baseline:>8.1f}"
        lines.append(f"  {label:<40}{row}{note}")
    lines.append(
        f"  ({samples:,} batches of {BATCH} calls per row, rows taking turns; calls/s from the "
        f"total time; SQL statements {len(statements)}, cache calls {len(counting.calls)} "
        "during all of them: target 0 and 0)"
    )
    return lines, met and not statements and not counting.calls


def profile(app, tenant_id: int, calls: int) -> list[str]:
    from services import features
    from services.tenancy.resolver import get_tenant

    with app.app_context():
        tenant = get_tenant(tenant_id)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            features.enabled(tenant, "discount_coupons")
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(15)
    return out.getvalue().splitlines()


# -- propagation ------------------------------------------------------------------------------
def reachable_redis() -> str | None:
    try:
        if port_open(REDIS_URL, 6379) and redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping():
            return REDIS_URL
    except redis.RedisError:
        pass
    return None


def forget_shared_snapshots(redis_url: str) -> None:
    """Snapshots another database left in this Redis database would be trusted by version."""
    redis.Redis.from_url(redis_url, socket_timeout=1).delete(*L2_KEYS)


def propagation(database_url: str, redis_url: str | None, toggles: int) -> list[float]:
    """Seconds from just before each toggle's commit until the second process saw it."""
    from tests.support.switch_watcher import Report

    app = build_app(database_url, redis_url, "redis" if redis_url else "table")
    with tempfile.TemporaryDirectory(prefix="bench-switch-") as folder:
        report_path, log = Path(folder) / "report", Path(folder) / "log"
        argv = [sys.executable, "-m", "tests.support.switch_watcher", "poll", str(report_path)]
        argv += [database_url, redis_url or "-", SWITCH, str(toggles)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEATURE_CONTROL_")}
        with open(log, "w") as out:
            child = subprocess.Popen(
                argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**env, "APP_ENV": "test"}
            )
        report = Report(report_path, child, log)
        try:
            word, state = report.next(timeout=60).split()  # "ready on"
            seconds = []
            for _ in range(toggles):
                # A random moment, or each toggle would land at the same phase of the table
                # poller (right after the poll that saw the previous one: the worst case).
                time.sleep(random.uniform(0, POLL_PHASE_S))
                state = "on" if state == "off" else "off"
                started = toggle(app, state == "on")
                word, at, seen = report.next(timeout=10).split()
                if (word, seen) != ("seen", state):
                    raise RuntimeError(f"the second process reported {word} {seen}")
                seconds.append(float(at) - started)
            child.wait(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    return seconds


def propagation_row(label: str, seconds: list[float]) -> str:
    median, worst = statistics.median(seconds), max(seconds)
    return (
        f"  {label:<40}{median * 1000:>10.1f} {worst * 1000:>8.1f}   "
        f"target < {TARGET_PROPAGATION_S:g} s: {verdict(worst < TARGET_PROPAGATION_S)}"
    )


# -- entry point ------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.feature_checks")
    parser.add_argument("--calls", type=int, default=100_000, help="warm calls per row")
    parser.add_argument("--toggles", type=int, default=10, help="toggles per bus")
    parser.add_argument("--profile", action="store_true", help="always print a cProfile")
    args = parser.parse_args(argv)

    redis_url = reachable_redis()
    with scratch_database() as database_url:
        app = build_app(database_url)
        tenant_id = seed(app)
        backend = make_url(database_url).get_backend_name()
        print(f"feature_checks: database {backend}; warm checks in one process, L1 map in memory")
        lines, met = warm_figures(app, tenant_id, args.calls)
        print("\n".join(lines))
        if args.profile or not met:
            print("\ncProfile of warm features.enabled (profiler overhead inflates times):")
            print("\n".join(profile(app, tenant_id, 20_000)))

        print(
            f"\nkill-switch propagation: toggle {SWITCH} here, a second process polls "
            "platform.enabled every 2 ms; from just before the toggle's commit, toggles 0-0.5 s "
            f"apart at random:\n  {'':<40}{'median ms':>10} {'max ms':>8}"
        )
        if redis_url is None:
            print(f"  (Redis not reachable at {REDIS_URL}: no Redis bus figures)")
        else:
            forget_shared_snapshots(redis_url)
            try:
                seconds = propagation(database_url, redis_url, args.toggles)
            finally:
                forget_shared_snapshots(redis_url)
            print(propagation_row(f"Redis pub/sub bus ({len(seconds)} toggles)", seconds))
        seconds = propagation(database_url, None, args.toggles)
        print(propagation_row(f"cache_invalidations table bus ({len(seconds)} toggles)", seconds))
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()  # before the scratch database goes
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
