"""Dashboard shipping pages (spec 30)."""

from blueprints.dashboard import bp  # noqa: F401
