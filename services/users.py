"""Users: creation, roles and activation under the admin quota, passwords, reset links."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.tenancy import User, new_session_token
from services import activity, features
from services.errors import InvalidState, NotFound, PermissionDenied, ValidationError
from services.rows import insert_or_conflict
from services.settings import setting
from services.tenancy.helpers import tenant_lock
from services.tenancy.scoping import SKIP_OPTION

HASH_METHOD = "scrypt"
RESET_SALT = "password-reset"
RESET_MAX_AGE = 2 * 3600
INVITE_MAX_AGE = 72 * 3600
ROLES = ("reader", "admin")
ADMIN_LIMIT = "admin_limit"


def count_active_admins(tenant_id: int) -> int:
    """The usage of `admin_limit`. The query names its tenant and skips the automatic scope,
    because it must also count from the platform context (a tenant being created has no
    cached context to scope to)."""
    query = (
        select(func.count(User.id))
        .where(User.tenant_id == tenant_id, User.role == "admin", User.is_active.is_(True))
        .execution_options(**{SKIP_OPTION: True})
    )
    return int(db.session.scalar(query) or 0)


features.register_usage(ADMIN_LIMIT, count_active_admins)


def normalise_email(raw: str) -> str:
    """Stripped, lower-cased and syntax-checked (no DNS lookup)."""
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError("Enter a valid email address.", field="email") from None
    return result.normalized.lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def check_password(user: User | None, password: str) -> bool:
    return bool(user and user.password_hash and check_password_hash(user.password_hash, password))


def validate_password(password: str, email: str) -> None:
    if not 10 <= len(password or "") <= 128:
        raise ValidationError("Use 10 to 128 characters.", field="password")
    if password.strip().lower() == email.lower():
        raise ValidationError("The password cannot be your email address.", field="password")


def set_password(user: User, password: str) -> None:
    """New hash and a new session token: every other session of the user ends."""
    validate_password(password, user.email)
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()


def create_user(
    actor: activity.Actor,
    tenant_id: int,
    *,
    email: str,
    name: str,
    role: str = "reader",
    password: str | None = None,
) -> User:
    """A reader or admin of one tenant; the same email on another tenant is another account.
    A new admin counts toward `admin_limit` (QuotaExceeded on the role field)."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise ValidationError("Enter a name of 1 to 120 characters.", field="name")
    if role not in ROLES:
        raise ValidationError("Unknown role.", field="role")
    user = User(tenant_id=tenant_id, email=email, name=name, role=role, is_staff=False)
    if password is not None:
        set_password(user, password)
    if role == "admin":  # last before the insert: the tenant lock then lasts until the commit
        features.quotas.enforce(tenant_id, ADMIN_LIMIT, field="role")
    _insert(user)
    activity.record(
        actor,
        "user.created",
        "user",
        user.uuid,
        tenant_id=tenant_id,
        after={"email": email, "role": role},
    )
    return user


def change_role(actor: activity.Actor, user: User, role: str) -> User:
    """Promote a reader (counts toward `admin_limit` when active) or demote an admin (never
    yourself, never the last active admin). The same role again changes nothing."""
    if role not in ROLES:
        raise ValidationError("Unknown role.", field="role")
    _require_tenant_user(user)
    if user.role == role:
        return user
    if role == "admin":
        if user.is_active:
            features.quotas.enforce(user.tenant_id, ADMIN_LIMIT, field="role")
    else:
        _keep_an_admin(actor, user, "You cannot remove your own administrator role.")
    before = {"role": user.role}
    user.role = role
    db.session.flush()
    activity.record(
        actor,
        "user.role_changed",
        "user",
        user.uuid,
        tenant_id=user.tenant_id,
        before=before,
        after={"role": role},
    )
    return user


def set_active(actor: activity.Actor, user: User, active: bool) -> User:
    """Reactivate (an admin counts toward `admin_limit` again) or deactivate (never yourself,
    never the last active admin; every session of the user ends). The same state again
    changes nothing."""
    active = bool(active)
    _require_tenant_user(user)
    if user.is_active == active:
        return user
    if active and user.role == "admin":
        features.quotas.enforce(user.tenant_id, ADMIN_LIMIT, field="is_active")
    if not active:
        _keep_an_admin(actor, user, "You cannot deactivate yourself.")
        user.session_token = new_session_token()
    before = {"is_active": user.is_active}
    user.is_active = active
    db.session.flush()
    activity.record(
        actor,
        "user.reactivated" if active else "user.deactivated",
        "user",
        user.uuid,
        tenant_id=user.tenant_id,
        before=before,
        after={"is_active": active},
    )
    return user


def _require_tenant_user(user: User) -> None:
    if user.tenant_id is None:
        raise InvalidState("Staff accounts have no store role.")


def _keep_an_admin(actor: activity.Actor, user: User, self_message: str) -> None:
    """Refuse to act on yourself, or to take away the tenant's last active admin; the tenant
    lock makes two admins demoting each other at once leave one."""
    if actor.user_id is not None and actor.user_id == user.id:
        raise PermissionDenied(self_message)
    if user.role != "admin" or not user.is_active:
        return
    tenant_lock(user.tenant_id)
    if count_active_admins(user.tenant_id) <= 1:
        raise InvalidState("A store needs at least one active administrator.")


def create_staff(
    actor: activity.Actor, *, email: str, name: str, password: str | None, super_admin=False
) -> User:
    email = normalise_email(email)
    user = User(
        tenant_id=None,
        email=email,
        name=(name or email).strip()[:120],
        role=None,
        is_staff=True,
        is_super_admin=bool(super_admin),
    )
    if password is not None:
        set_password(user, password)
    _insert(user)
    activity.record(
        actor,
        "staff.created",
        "user",
        user.uuid,
        tenant_id=None,
        after={"email": email, "super_admin": bool(super_admin)},
    )
    return user


def _insert(user: User) -> None:
    insert_or_conflict(user, message="An account with this email already exists.", field="email")


def find_by_email(email: str) -> User | None:
    """In the current context: the tenant's users, or staff on the platform."""
    return db.session.scalar(select(User).where(User.email == email))


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's loader: '<uuid>:<session_token>', compared in constant time."""
    import hmac
    import uuid as uuid_lib

    try:
        raw_uuid, token = user_id.split(":", 1)
        key = uuid_lib.UUID(raw_uuid)
    except ValueError:
        return None
    user = db.session.scalar(select(User).where(User.uuid == key))
    if user is None or not user.is_active:
        return None
    return user if hmac.compare_digest(user.session_token, token) else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(setting("SECRET_KEY"), salt=RESET_SALT)


def password_token(user: User) -> str:
    """A link token bound to the current session token, so it dies once a password is set."""
    return _serializer().dumps({"u": str(user.uuid), "s": user.session_token})


def user_for_token(token: str, max_age: int = INVITE_MAX_AGE) -> User:
    import uuid as uuid_lib

    try:
        data = _serializer().loads(token, max_age=max_age)
        user = db.session.scalar(select(User).where(User.uuid == uuid_lib.UUID(data["u"])))
    except (BadSignature, SignatureExpired, KeyError, ValueError, TypeError):
        raise NotFound("This link is invalid or has expired.") from None
    if user is None or user.session_token != data.get("s") or not user.is_active:
        raise NotFound("This link is invalid or has expired.")
    return user
