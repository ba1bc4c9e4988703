"""Domain errors raised by services and mapped to HTTP statuses or form errors at the edge."""


class DomainError(Exception):
    """Base of every error a service raises on purpose; `message` is safe to show the user."""

    status = 400

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message or self.__class__.__name__)
        self.message = message or self.__class__.__name__
        self.field = field


class ValidationError(DomainError):
    """Input is malformed or breaks a rule; nothing was changed."""

    status = 422


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    """The change collides with existing data (a duplicate slug or host, a race)."""

    status = 409


class InvalidState(DomainError):
    """The object is not in a state that allows this action."""

    status = 409


class QuotaExceeded(DomainError):
    """A count or maximum limit refuses the addition (spec 20 §10)."""

    status = 403

    def __init__(self, slug: str = "", limit=None, current: int | None = None, message: str = ""):
        super().__init__(message or f"quota {slug} exceeded")
        self.slug = slug
        self.limit = limit
        self.current = current


class UnknownFeature(LookupError):
    """A feature slug the registry does not declare (strict mode; a typo must fail)."""


class WrongFeatureKind(TypeError):
    """A limit question about a boolean feature, or the reverse."""


class UnknownKillSwitch(LookupError):
    """A kill-switch name the registry does not declare; always raised."""


class Throttled(DomainError):
    """Too many attempts; `retry_after` seconds until the window ends."""

    status = 429

    def __init__(self, message: str = "", retry_after: int = 0, field: str | None = None):
        super().__init__(message, field)
        self.retry_after = retry_after


class NoTenantContext(RuntimeError):
    """Tenant data was reached without a tenant context (fail closed, never a global query)."""


class TenantNotFound(LookupError):
    """No tenant with that id, uuid or host."""


class CrossTenantWrite(RuntimeError):
    """A write would put a row in, or move it to, a tenant other than the current one."""
