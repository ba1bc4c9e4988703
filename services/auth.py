"""Sign-in: throttling by account and IP, equal-time failures, rehash on login (spec 10 §9.2)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from functools import lru_cache

from werkzeug.security import check_password_hash

from app.cache import CacheError
from app.extensions import cache
from app.models.base import utcnow
from app.models.tenancy import User
from services import users
from services.errors import DomainError, Throttled, ValidationError

log = logging.getLogger("auth")

WINDOW = 15 * 60
ACCOUNT_LIMIT = 5
IP_LIMIT = 30
FAILED = "Email or password is incorrect."


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return users.hash_password("not-a-real-password-ever")


def _account_key(scope_label: str, email: str) -> str:
    return f"auth:fail:acct:{scope_label}:{hashlib.sha256(email.encode()).hexdigest()}"


def _ip_key(ip: str) -> str:
    return f"auth:fail:ip:{ip}"


def _count(key: str) -> int:
    try:
        return int(cache.get(key) or 0)
    except CacheError:
        return 0


def _fail(keys: list[str]) -> None:
    for key in keys:
        try:
            cache.incr(key, WINDOW)
        except CacheError as exc:
            log.warning("auth.throttle_unavailable %s", exc)


def ip_blocked(ip: str) -> bool:
    return _count(_ip_key(ip)) >= IP_LIMIT


def authenticate(email: str, password: str, *, scope_label: str, ip: str) -> User:
    """The user for these credentials in the current context, or a DomainError to show."""
    if ip_blocked(ip):
        raise Throttled("Too many attempts from your network; try again later.", WINDOW)
    try:
        email = users.normalise_email(email)
    except ValidationError:
        email = (email or "").strip().lower()
    account = _account_key(scope_label, email)
    if _count(account) >= ACCOUNT_LIMIT:
        left = _minutes_left(account)
        raise DomainError(f"Too many attempts; try again in {left} minutes.")
    user = users.find_by_email(email) if email else None
    if user is None or not user.is_active or not user.password_hash:
        check_password_hash(_dummy_hash(), password or "")  # same time as a real check
        ok = False
    else:
        ok = users.check_password(user, password or "")
    if not ok:
        _fail([account, _ip_key(ip)])
        log.info("auth.login_failed scope=%s ip=%s", scope_label, ip)
        raise DomainError(FAILED)
    with contextlib.suppress(CacheError):
        cache.delete(account)
    if user.password_hash.split("$", 1)[0] != _current_method():
        user.password_hash = users.hash_password(password)
    user.last_login_at = utcnow()
    user.last_login_ip = ip[:45]
    return user


@lru_cache(maxsize=1)
def _current_method() -> str:
    """Method and parameters of today's hashes, e.g. 'scrypt:32768:8:1'."""
    return _dummy_hash().split("$", 1)[0]


def _minutes_left(key: str) -> int:
    try:
        seconds = cache.ttl(key) or WINDOW
    except CacheError:
        seconds = WINDOW
    return max(1, -(-seconds // 60))
