"""Features: flags and quotas from platform plans, tenant overrides, kill switches (spec 20)."""

from services.features import quotas
from services.features.checks import (
    allows,
    effective_map,
    enabled,
    limit,
    usage,
    within_limit,
)
from services.features.explanation import Explanation, explain
from services.features.registry import register_usage
from services.features.values import UNLIMITED, Unlimited

__all__ = [
    "UNLIMITED",
    "Explanation",
    "Unlimited",
    "allows",
    "effective_map",
    "enabled",
    "explain",
    "limit",
    "quotas",
    "register_usage",
    "usage",
    "within_limit",
]
