"""Page numbers and sizes of listings as the spec reads them (spec 70 §3.5)."""

from __future__ import annotations

DEFAULT_PER_PAGE = 12
MAX_PER_PAGE = 48
MAX_PAGE = 1_000_000  # keeps OFFSET within range for absurd page numbers


def clean_page(number: object) -> int:
    """`page` not an integer or under 1 -> 1."""
    try:
        value = int(str(number).strip())
    except (TypeError, ValueError):
        return 1
    return min(value, MAX_PAGE) if value >= 1 else 1


def clean_per_page(number: object) -> int:
    """`per_page` defaults to 12 (also for garbage) and is capped at 48."""
    try:
        value = int(str(number).strip())
    except (TypeError, ValueError):
        return DEFAULT_PER_PAGE
    return min(value, MAX_PER_PAGE) if value >= 1 else DEFAULT_PER_PAGE
