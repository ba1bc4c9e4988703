"""Settings from the environment: safe development defaults, none for production secrets."""

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

APP_ENVS = ("development", "test", "production")


class ConfigError(RuntimeError):
    """A setting is missing or invalid; raised at start-up, never per request."""


def _env(name: str, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def _bool(value, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _instance_secret(instance: Path, filename: str, factory) -> str:
    """A development secret generated once into the instance folder, so restarts keep sessions."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / filename
    if not path.exists():
        path.write_text(factory())
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(instance_path: str, overrides: Mapping | None = None) -> dict:
    """Build the settings mapping: environment first, then the caller's overrides (tests)."""
    overrides = dict(overrides or {})
    app_env = overrides.get("APP_ENV") or _env("APP_ENV", "development")
    if app_env not in APP_ENVS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(APP_ENVS)}, not {app_env!r}")
    production = app_env == "production"
    instance = Path(instance_path)

    def secret(name: str, filename: str, factory) -> str | None:
        value = overrides.get(name) or _env(name)
        if value:
            return value
        if production:
            raise ConfigError(f"{name} must be set when APP_ENV=production")
        if app_env == "test":
            return factory()
        return _instance_secret(instance, filename, factory)

    platform_domain = _env("PLATFORM_DOMAIN", "localhost").lower()
    redis_url = _env("REDIS_URL")
    external_port = _env("EXTERNAL_PORT", None if production else "5000")
    scheme = _env("PREFERRED_URL_SCHEME", "http")
    celery_dir = instance / "celery-broker"
    cfg = {
        "APP_ENV": app_env,
        "SECRET_KEY": secret("SECRET_KEY", "secret_key", lambda: secrets.token_hex(32)),
        "SECRET_KEY_FALLBACKS": [k for k in _env("SECRET_KEY_FALLBACKS", "").split(",") if k],
        "CREDENTIALS_KEY": secret(
            "CREDENTIALS_KEY", "credentials_key", lambda: Fernet.generate_key().decode()
        ),
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL", f"sqlite:///{instance / 'app.db'}"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "PLATFORM_DOMAIN": platform_domain,
        "TRUSTED_PROXIES": int(_env("TRUSTED_PROXIES", "0")),
        "PREFERRED_URL_SCHEME": scheme,
        "EXTERNAL_PORT": int(external_port) if external_port else None,
        "MAIL_URL": _env("MAIL_URL"),
        # How much commerce history seed-demo writes: "full" (hundreds of orders per tenant)
        # or "small" (a few of each kind; what the tests use).
        "DEMO_HISTORY": _env("DEMO_HISTORY", "full"),
        "MAIL_FROM": _env("MAIL_FROM", f"no-reply@{platform_domain}"),
        "FEATURES_STRICT": _bool(_env("FEATURES_STRICT"), not production),
        "TELESCOPE_ENABLED": _bool(_env("TELESCOPE_ENABLED"), False),
        "CRAWLER_BYPASS_SECRET": _env("CRAWLER_BYPASS_SECRET"),
        "STORAGE_URL": _env("STORAGE_URL", f"file://{instance / 'storage'}"),
        "S3_ENDPOINT_URL": _env("S3_ENDPOINT_URL"),
        "PUBLICATION_MAX_UPLOAD_MB": int(_env("PUBLICATION_MAX_UPLOAD_MB", "512")),
        "STRIPE_API_BASE": _env("STRIPE_API_BASE", "https://api.stripe.com"),
        "MERCADOPAGO_API_BASE": _env("MERCADOPAGO_API_BASE", "https://api.mercadopago.com"),
        "PAYU_API_BASE": _env("PAYU_API_BASE", "https://api.payulatam.com"),
        "YUNO_API_BASE": _env("YUNO_API_BASE", "https://api.y.uno"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": scheme == "https",
        "SESSION_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_DURATION": 0,
        # "Keep me signed in" makes the session permanent for 30 days (spec 10 §9.3).
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        "WTF_CSRF_TIME_LIMIT": None,
        # app/tenancy.py checks CSRF itself, after the host is resolved (token calls are exempt).
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "WTF_CSRF_SSL_STRICT": False,
        # The tenant cache: 30 s in-process tier over the shared tier (Redis or in-process).
        "TENANT_L1_TTL": 30.0,
        "TENANT_LOCK_WAIT": 3.0,
        "BUS_POLL_INTERVAL": 0.5,
        "CELERY": {
            "broker_url": redis_url or "filesystem://",
            "broker_transport_options": {}
            if redis_url
            else {
                "data_folder_in": str(celery_dir / "out"),
                "data_folder_out": str(celery_dir / "out"),
                "processed_folder": str(celery_dir / "processed"),
                # Kombu writes broadcast exchanges here; the default is ./control in the cwd.
                "control_folder": str(celery_dir / "control"),
                "store_processed": False,
            },
            "task_ignore_result": True,
            "result_backend": None,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "timezone": "UTC",
            "beat_schedule_filename": str(instance / "celerybeat-schedule"),
        },
        "BUS": "auto",
        "TESTING": app_env == "test",
    }
    for key, value in overrides.items():
        if key == "CELERY":
            cfg["CELERY"] = {**cfg["CELERY"], **value}
        else:
            cfg[key] = value
    if "SESSION_COOKIE_SECURE" not in overrides:
        # Under https every cookie is Secure (spec 10 §9.3), whichever way the scheme was set.
        cfg["SESSION_COOKIE_SECURE"] = cfg["PREFERRED_URL_SCHEME"] == "https"
    if "MAX_CONTENT_LENGTH" not in overrides:
        # Flask answers 413 above the upload limit; 1 MiB more for the form's other fields.
        cfg["MAX_CONTENT_LENGTH"] = (int(cfg["PUBLICATION_MAX_UPLOAD_MB"]) + 1) * 1024 * 1024
    if "DATABASE_URL" in overrides:
        cfg["SQLALCHEMY_DATABASE_URI"] = overrides["DATABASE_URL"]
    if str(cfg["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        # JIT spends ~0.5 s compiling plans whose estimates run high, for queries that then
        # take milliseconds; and random_page_cost 1.1 (for SSDs and a cached working set,
        # instead of 4 for spinning disks) lets the planner prefer the GIN and key indexes
        # over scanning a large catalogue (benchmarks/storefront.py measures both).
        options = dict(cfg["SQLALCHEMY_ENGINE_OPTIONS"])
        connect = {"options": "-c jit=off -c random_page_cost=1.1"}
        options["connect_args"] = {**connect, **options.get("connect_args", {})}
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    return cfg
