"""Browser harness: the session app served over real HTTP in a thread, driven by the system
Chromium through Playwright; every tenant host resolves to 127.0.0.1."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import got_request_exception
from werkzeug.serving import make_server

TIMEOUT_MS = 5_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # <slug>.localhost and app.localhost all reach the live server, whatever the resolver says.
    "--host-resolver-rules=MAP * 127.0.0.1",
]


@dataclass(frozen=True)
class LiveServer:
    """Where the live server listens; `url("demo", "/login")` is http://demo.localhost:<port>/login."""

    port: int
    domain: str
    errors: list[str] = field(default_factory=list, compare=False)

    def url(self, sub: str, path: str = "/") -> str:
        return f"http://{sub}.{self.domain}:{self.port}{path}"


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    """The session `app` over HTTP on 127.0.0.1 and a free port, in a daemon thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(port=server.server_port, domain=app.config["PLATFORM_DOMAIN"])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _server_errors(request):
    """Fails a browser test whose requests raised inside the app: the browser only sees a 500
    (or, for an HTMX swap, nothing at all), the traceback is what explains it."""
    if "live_server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("live_server")
    app = request.getfixturevalue("app")

    def record(sender, exception, **extra):
        server.errors.append("".join(traceback.format_exception(exception)))

    server.errors.clear()
    got_request_exception.connect(record, app, weak=False)
    try:
        yield
    finally:
        got_request_exception.disconnect(record, app)
    if server.errors:
        pytest.fail("the live server raised:\n" + "\n".join(server.errors), pytrace=False)


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture
def browser(chromium_path, _playwright):
    browser = _playwright.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) and one page with modest timeouts."""
    context, page = _new_page(browser)
    yield page
    context.close()


@pytest.fixture
def visitor_page(browser):
    """A second, anonymous visitor in its own context (its own window, so neither page is a
    background tab whose animation frames Chromium throttles)."""
    context, page = _new_page(browser)
    yield page
    context.close()


@pytest.fixture
def demo_data(app):
    """The demo seed (`flask seed-demo`), committed so the server thread sees it."""
    from app.extensions import db
    from services import seed
    from services.tenancy import context

    with app.app_context():
        token = context.enter_platform()
        try:
            seed.seed_demo()
            db.session.commit()
        finally:
            context.reset_scope(token)
            db.session.remove()
