"""Expiring signed media URLs for the local backend: `/media/<key>?e=<expiry>&s=<hmac>`."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from urllib.parse import quote, urlencode

MEDIA_PREFIX = "/media/"


def signature(secret: str, key: str, expiry: int, download_name: str | None = None) -> str:
    message = f"{key}\n{int(expiry)}\n{download_name or ''}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_url(
    secret: str,
    key: str,
    *,
    expires_in: int,
    download_name: str | None = None,
    now: float | None = None,
) -> str:
    expiry = int((time.time() if now is None else now) + expires_in)
    params = {"e": str(expiry), "s": signature(secret, key, expiry, download_name)}
    if download_name:
        params["dl"] = download_name
    return f"{MEDIA_PREFIX}{quote(key)}?{urlencode(params)}"


def verify(
    secrets_: Iterable[str],
    key: str,
    expiry: str | None,
    given: str | None,
    download_name: str | None = None,
    now: float | None = None,
) -> bool:
    """True when `given` signs (key, expiry, download name) under one of the secrets (the
    current key, then fallbacks being rotated out) and the expiry has not passed."""
    if not expiry or not given or not expiry.isdigit():
        return False
    if int(expiry) < (time.time() if now is None else now):
        return False
    return any(
        hmac.compare_digest(signature(secret, key, int(expiry), download_name), given)
        for secret in secrets_
        if secret
    )
