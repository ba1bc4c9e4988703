"""Staff pages for platform plans and the inline grants matrix (spec 20 §11.3)."""

from blueprints.platform import bp  # noqa: F401
