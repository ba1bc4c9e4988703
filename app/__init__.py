"""The application factory: load config, then register each part in turn."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask


class App(Flask):
    """Flask, remembering which hooks and views are plain functions: stock Flask inspects every
    callable for `async def` on every request it runs, several times per request."""

    _sync_callables: set

    def ensure_sync(self, func):
        known = self.__dict__.get("_sync_callables")
        if known is None:
            known = self._sync_callables = set()
        if func in known:
            return func
        wrapped = super().ensure_sync(func)
        if wrapped is func and len(known) < 10_000:  # bound methods are new objects each time
            known.add(func)
        return wrapped


def create_app(config: Mapping | None = None) -> Flask:
    """Build the web application; `config` overrides the environment (tests pass a mapping)."""
    from app.config import load_config

    app = App(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path, config))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    register_extensions(app)
    register_tenancy(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_cli(app)
    register_celery(app)
    return app


def register_extensions(app: Flask) -> None:
    from app import database
    from app.extensions import cache, csrf, db, login_manager, migrate
    from services import entitlements

    database.install()
    entitlements.install()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_root() / "migrations"), compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    cache.init_app(app)
    _drop_idle_hooks(app)


def _drop_idle_hooks(app: Flask) -> None:
    """Flask-WTF's own CSRF hook only returns (app/tenancy.py checks CSRF once the host is
    resolved) and Flask-Login's remember-cookie hook has nothing to do (no remember cookie is
    ever set): each would still cost every request a hook dispatch. Flask-SQLAlchemy's
    teardown looks its session up three times even when the request never opened one."""
    from app.extensions import db, login_manager

    def close_session(exc=None):
        session = db.session
        if session.registry.has():
            session.remove()

    teardowns = app.teardown_appcontext_funcs
    teardowns[:] = [close_session if f == db._teardown_session else f for f in teardowns]

    befores = app.before_request_funcs.get(None, [])
    befores[:] = [
        f for f in befores if f.__qualname__ != "CSRFProtect.init_app.<locals>.csrf_protect"
    ]
    afters = app.after_request_funcs.get(None, [])
    afters[:] = [f for f in afters if f != login_manager._update_remember_cookie]


def register_tenancy(app: Flask) -> None:
    from app import observability, tenancy
    from services.features import wiring

    tenancy.init_app(app)
    observability.init_app(app)
    wiring.install(app.config)


def register_blueprints(app: Flask) -> None:
    from blueprints import register_all
    from blueprints.media import bp as media_bp

    register_all(app)
    app.register_blueprint(media_bp)


def register_errorhandlers(app: Flask) -> None:
    from blueprints.errors import init_app

    init_app(app)


def register_cli(app: Flask) -> None:
    from blueprints.cli import init_app

    init_app(app)


def register_celery(app: Flask) -> None:
    from workers import celery_init_app

    celery_init_app(app)


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent
