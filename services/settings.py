"""Read-only access to the application's settings from services (no request involved)."""

from flask import current_app


def setting(name: str, default=None):
    return current_app.config.get(name, default)


def platform_domain() -> str:
    return current_app.config["PLATFORM_DOMAIN"]
