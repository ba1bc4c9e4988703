"""Staff pages for the feature catalogue (spec 20 §11.2)."""

from blueprints.platform import bp  # noqa: F401
