"""Platform staff create orders inside a tenant: grants and recorded sales (spec 30 §8.4)."""

from blueprints.platform import bp  # noqa: F401
