"""Kill switches and feature results reach other processes without a restart (spec 20 §6.1,
§6.3, §8, §14; acceptance 7, 12, 28, 29): a web process and a real Celery worker see a toggle
within 1 s over the Redis bus and over the table bus, the environment forces a switch off but
never on, and grant and override changes reach a web process while other tenants' maps stay.
These tests commit for real: the other processes must see the rows."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from app.extensions import db
from app.models import PlatformPlan, Tenant
from services.features import definitions, grants, kill_switches, overrides
from services.tenancy import context
from services.tenancy import tenants as tenant_service
from tests.factories import ACTOR
from tests.support.switch_watcher import WATCH_TASK, WEB_HOST, Report, celery_settings

pytestmark = pytest.mark.committing
ROOT = Path(__file__).resolve().parents[3]
SWITCH = "storefront_search"
WITHIN = 1.0  # seconds: spec 20 §6 DECISION
POLL = 0.01


def child_env(extra: dict | None = None) -> dict:
    """This environment without kill-switch variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEATURE_CONTROL_")}
    return {**env, "APP_ENV": "test", **(extra or {})}


class WebChild:
    """The app served by werkzeug in another process (tests/support/switch_watcher.py)."""

    def __init__(self, report: Report):
        self.report = report
        self.base = None
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy between us and 127.0.0.1

    def ready(self) -> "WebChild":
        word, port = self.report.next(timeout=30).split()
        assert word == "ready"
        self.base = f"http://127.0.0.1:{port}"
        return self

    def get(self, path: str) -> requests.Response:
        response = self.http.get(self.base + path, headers={"Host": WEB_HOST}, timeout=5)
        assert response.status_code == 200, response.text[:500]
        return response

    def switch(self) -> str:
        return self.get(f"/_test/switch/{SWITCH}").text

    def feature(self, tenant_id: int, slug: str) -> dict:
        return self.get(f"/_test/feature/{tenant_id}/{slug}").json()

    def seconds_until(self, read, expected, started: float, patience: float = 5.0) -> float:
        """Seconds from `started` until read() answers `expected` (polled every 10 ms)."""
        while read() != expected:
            assert time.time() - started < patience, f"still not {expected!r}"
            time.sleep(POLL)
        return time.time() - started


class Children:
    """Starts the other processes of a test and stops them before its tables are emptied."""

    def __init__(self, folder: Path, database_url: str):
        self.folder, self.database_url = folder, database_url
        self.queue = f"switch-watch-{secrets.token_hex(4)}"
        self.processes: list[subprocess.Popen] = []

    def _spawn(self, label: str, argv: list[str], env: dict) -> Report:
        report, log = self.folder / f"{label}.report", self.folder / f"{label}.log"
        with open(log, "w") as out:
            process = subprocess.Popen(
                argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=child_env(env)
            )
        self.processes.append(process)
        return Report(report, process, log)

    def web(self, redis_url: str | None, env: dict | None = None) -> WebChild:
        label = f"web{len(self.processes)}"
        argv = [sys.executable, "-m", "tests.support.switch_watcher", "web"]
        argv += [str(self.folder / f"{label}.report"), self.database_url, redis_url or "-"]
        return WebChild(self._spawn(label, argv, env or {}))

    def worker(self, redis_url: str | None, broker_dir: str | None) -> Report:
        label = f"worker{len(self.processes)}"
        env = {
            "SWITCH_WATCH_DATABASE_URL": self.database_url,
            "SWITCH_WATCH_REDIS_URL": redis_url or "",
            "SWITCH_WATCH_REPORT": str(self.folder / f"{label}.report"),
            "SWITCH_WATCH_BROKER_DIR": broker_dir or "",
        }
        argv = [sys.executable, "-m", "celery", "-A", "tests.support.switch_worker", "worker"]
        argv += ["--pool=solo", "-Q", self.queue, "-n", f"{self.queue}@%h", "--loglevel=WARNING"]
        argv += ["--without-heartbeat", "--without-mingle", "--without-gossip"]
        return self._spawn(label, argv, env)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def children(tmp_path, database_url):
    spawned = Children(tmp_path, database_url)
    yield spawned
    spawned.stop()


def committed(app, work) -> tuple[float, object]:
    """Run `work` in platform context and commit; returns the time just before and its result."""
    with app.app_context():
        token = context.enter_platform()
        try:
            started = time.time()
            result = work()
            db.session.commit()
            return started, result
        finally:
            context.reset_scope(token)
            db.session.remove()


def toggle(app, on: bool) -> float:
    reason = "propagation test: turned " + ("on" if on else "off")
    started, _ = committed(app, lambda: kill_switches.toggle_switch(ACTOR, SWITCH, on, reason))
    return started


def seen_by_worker(worker: Report, expected: str, started: float) -> float:
    word, at, state = worker.next(timeout=10).split()
    assert (word, state) == ("seen", expected)
    return float(at) - started


@pytest.mark.parametrize("bus_kind", ["redis", "table"])
def test_toggle_reaches_a_web_process_and_a_celery_worker_within_a_second(
    build_app, request, children, tmp_path, bus_kind
):
    redis_url = request.getfixturevalue("redis_url") if bus_kind == "redis" else None
    broker_dir = None if redis_url else str(tmp_path / "broker")
    writer = build_app(
        REDIS_URL=redis_url, BUS=bus_kind, CELERY=celery_settings(redis_url, broker_dir)
    )
    web = children.web(redis_url)
    worker = children.worker(redis_url, broker_dir)
    web.ready()
    assert worker.next(timeout=60) == "worker ready"
    writer.extensions["celery"].send_task(
        WATCH_TASK, kwargs={"name": SWITCH, "changes": 2}, queue=children.queue
    )
    assert worker.next(timeout=30) == "ready on"
    assert web.switch() == "on"

    started = toggle(writer, False)
    web_off = web.seconds_until(web.switch, "off", started)
    worker_off = seen_by_worker(worker, "off", started)
    started = toggle(writer, True)
    web_on = web.seconds_until(web.switch, "on", started)
    worker_on = seen_by_worker(worker, "on", started)

    seconds = {
        "web off": web_off,
        "worker off": worker_off,
        "web on": web_on,
        "worker on": worker_on,
    }
    assert max(seconds.values()) < WITHIN, seconds


def test_environment_forces_off_but_never_on(build_app, children, redis_url):
    writer = build_app(REDIS_URL=redis_url, BUS="redis")
    variable = f"FEATURE_CONTROL_{SWITCH.upper()}"
    forced_off = children.web(redis_url, {variable: "false"})
    said_on = children.web(redis_url, {variable: "true"})
    forced_off.ready()
    said_on.ready()
    assert forced_off.switch() == "off"  # the database says on: the environment wins
    assert said_on.switch() == "on"

    started = toggle(writer, False)
    assert said_on.seconds_until(said_on.switch, "off", started) < WITHIN  # "true" forces nothing
    started = toggle(writer, True)
    assert said_on.seconds_until(said_on.switch, "on", started) < WITHIN
    assert forced_off.switch() == "off"


def _two_tenants_on_two_plans() -> dict[str, tuple[int, int]]:
    """Plan slug -> (tenant id, plan id): one tenant on Growth, one on Starter."""
    made = {}
    for slug in ("growth", "starter"):
        plan = definitions.create_plan(ACTOR, slug=slug, name=slug.title())
        tenant, _ = tenant_service.create_tenant(ACTOR, slug=f"prop-{slug}", name=f"Store {slug}")
        grants.assign_plan(ACTOR, tenant, plan)
        made[slug] = (tenant.id, plan.id)
    return made


def test_grant_and_override_reach_a_web_process_and_other_maps_stay(build_app, children, redis_url):
    writer = build_app(REDIS_URL=redis_url, BUS="redis")
    _, made = committed(writer, _two_tenants_on_two_plans)
    (growth_id, growth_plan_id), (starter_id, _) = made["growth"], made["starter"]
    web = children.web(redis_url).ready()
    slug = "discount_coupons"

    def enabled(tenant_id: int) -> bool:
        return web.feature(tenant_id, slug)["enabled"]

    starter = web.feature(starter_id, slug)
    assert not enabled(growth_id) and not starter["enabled"]

    def grant_to_growth():
        plan = db.session.get(PlatformPlan, growth_plan_id)
        grants.set_grant(ACTOR, plan, definitions.find_feature(slug), "enabled")

    started, _ = committed(writer, grant_to_growth)
    assert web.seconds_until(lambda: enabled(growth_id), True, started) < WITHIN
    assert web.feature(starter_id, slug) == starter  # Starter's map reused, not recomputed
    growth = web.feature(growth_id, slug)

    def override_for_starter():
        tenant = db.session.get(Tenant, starter_id)
        feature = definitions.find_feature(slug)
        overrides.set_override(ACTOR, tenant, feature, "enabled", "propagation test override")

    started, _ = committed(writer, override_for_starter)
    assert web.seconds_until(lambda: enabled(starter_id), True, started) < WITHIN
    assert web.feature(growth_id, slug) == growth  # the other tenant's map stays
