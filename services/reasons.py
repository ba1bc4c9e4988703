"""The free-text reason staff give for a change (suspension, override, kill switch)."""

from services.errors import ValidationError

MAX_LENGTH = 500


def require_reason(reason: str | None, minimum: int = 5) -> str:
    """The stripped reason, or a field error when it is shorter than `minimum` or over 500."""
    reason = (reason or "").strip()
    if not minimum <= len(reason) <= MAX_LENGTH:
        raise ValidationError(
            f"Give a reason of {minimum} to {MAX_LENGTH} characters.", field="reason"
        )
    return reason
