"""Platform-wide controls for jobs and guards: kill switches (spec 20 §6)."""

from __future__ import annotations

from services.features.switches import board

READABLE_ISSUES_CAP = 500


def enabled(name: str) -> bool:
    """Effective state of kill switch `name`; an unknown name raises UnknownKillSwitch."""
    return board.enabled(name)


def readable_issues_cap() -> int | None:
    """500 while `unlimited_readable_issues` is off, else no cap."""
    return None if board.enabled("unlimited_readable_issues") else READABLE_ISSUES_CAP
