"""A tenant's features tab: overrides, explain, and the plan-change preview (spec 20 §11.4)."""

from blueprints.platform import bp  # noqa: F401
