"""Feature values: parsing what people type, the stored forms, the runtime values (spec 20 §3)."""

from __future__ import annotations

import logging

from app.models.features import CANONICAL_INTEGER
from services.errors import ValidationError

log = logging.getLogger("features")

ENABLED = "enabled"
DISABLED = "disabled"
UNLIMITED_TEXT = "unlimited"
MAX_LIMIT = 999_999_999


class Unlimited:
    """The one 'no cap' value; compares greater than every number."""

    _instance: Unlimited | None = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNLIMITED"

    def __str__(self) -> str:
        return UNLIMITED_TEXT

    def __reduce__(self):
        return (Unlimited, ())


UNLIMITED = Unlimited()

# Keywords each kind of value may hold (a limit can be 'disabled', a boolean never 'unlimited').
ALLOWED = {
    "boolean": (ENABLED, DISABLED),
    "limit": (DISABLED, UNLIMITED_TEXT),
    "trial": (UNLIMITED_TEXT,),
}


def canonical(raw, kind: str, field: str = "value") -> str:
    """The stored form of what someone typed for a `kind` ('boolean', 'limit' or 'trial')
    value, or ValidationError naming the field. '007' becomes '7'; '-1', '+5', '1.5', '1e3',
    '', 'true' and keywords the kind does not allow are refused."""
    text = str(raw if raw is not None else "").strip().lower()
    keywords = ALLOWED[kind]
    if text in keywords:
        return text
    if kind != "boolean" and text.isascii() and text.isdigit() and len(text) <= 12:
        number = int(text)
        if number <= MAX_LIMIT:
            return str(number)
    raise ValidationError(_problem(kind), field=field)


def _problem(kind: str) -> str:
    if kind == "boolean":
        return "Choose 'enabled' or 'disabled'."
    if kind == "limit":
        return "Enter a whole number from 0 to 999999999, 'unlimited' or 'disabled'."
    return "Enter a whole number from 0 to 999999999 or 'unlimited'."


_reported: set[str] = set()


def runtime(stored: str | None):
    """The runtime value of a stored string: True, int, UNLIMITED, or None for 'disabled'.
    A string no rule allows (a manual database edit) counts as 'disabled', logged once."""
    if stored is None or stored == DISABLED:
        return None
    if stored == ENABLED:
        return True
    if stored == UNLIMITED_TEXT:
        return UNLIMITED
    if CANONICAL_INTEGER.match(stored):
        return int(stored)
    if stored not in _reported:
        _reported.add(stored)
        log.error("features.invalid_value value=%r treated as disabled", stored)
    return None


def display(value) -> str:
    """'Unlimited', the number, or 'Not included' (`format_limit` in templates)."""
    if value is None:
        return "Not included"
    if value is UNLIMITED:
        return "Unlimited"
    if value is True:
        return "Included"
    return str(value)
