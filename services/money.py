"""Money typed by people: major-unit text to minor units by the currency's exponent."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from services.errors import ValidationError

MAX_AMOUNT_MINOR = 10**15


def to_minor(value, exponent: int, *, field: str = "amount", allow_zero: bool = False) -> int:
    """`"12.50", 2` -> 1250. Negative amounts, zero (unless allowed), non-numbers and more
    decimals than the currency has are field errors; no float ever touches the amount."""
    text = str(value if value is not None else "").strip().replace(",", ".")
    if not text:
        raise ValidationError("Enter an amount.", field=field)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError("Enter a number such as 12.50.", field=field) from None
    if not amount.is_finite():
        raise ValidationError("Enter a number such as 12.50.", field=field)
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValidationError(f"Use at most {exponent} decimals.", field=field)
    minor = int(scaled)
    if minor < 0 or (minor == 0 and not allow_zero):
        raise ValidationError("Enter an amount above 0.", field=field)
    if minor > MAX_AMOUNT_MINOR:
        raise ValidationError("That amount is too large.", field=field)
    return minor


def to_major(amount_minor: int, exponent: int) -> Decimal:
    """1250, 2 -> Decimal("12.50"), for form values."""
    return Decimal(int(amount_minor)).scaleb(-exponent)
