"""The public `/library/filter` URL contract (spec 70 §5.2): parameter names, reserved names."""

from __future__ import annotations

# Every parameter of the contract; a taxonomy slug may not take one of these names.
CONTRACT_PARAMS = frozenset(
    {
        "file_type",
        "language",
        "free_issues",
        "latest_issues",
        "years",
        "month",
        "contributor",
        "bisac",
        "audience",
        "recommended",
        "my_issues",
        "continue_reading",
        "orderBy",
        "q",
        "page",
        "per_page",
    }
)
TRACKING_PARAMS = frozenset({"fbclid", "gclid"})
OTHER_RESERVED = frozenset({"next", "shelf", "csrf_token"})
RESERVED_PARAMS = CONTRACT_PARAMS | TRACKING_PARAMS | OTHER_RESERVED


def is_tracking(name: str) -> bool:
    """Campaign parameters: ignored silently, never logged."""
    return name.startswith("utm_") or name in TRACKING_PARAMS


def is_reserved(name: str) -> bool:
    return name in RESERVED_PARAMS or name.startswith("utm_")
