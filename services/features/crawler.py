"""The crawler gate: bypass headers, User-Agent rules and crawlerdetect (spec 20 §7)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

from crawlerdetect import CrawlerDetect

log = logging.getLogger("features.crawler")

MAX_USER_AGENT = 1024
DETECT_CACHE_SIZE = 4096
TOKEN_LENGTH = 32

# One shared instance: isCrawler returns its verdict from local state (it only also records
# `matches`, which we never read), so threads can share it.
_detector = CrawlerDetect()


def parse_secrets(raw: str | None) -> tuple[str, ...]:
    """CRAWLER_BYPASS_SECRET as a tuple, newest first; blanks dropped."""
    if not raw:
        return ()
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def custom_app_token(secret: str, tenant_uuid: str) -> str:
    """The token a tenant's custom app sends after its uuid; ValueError for a malformed uuid."""
    message = f"custom-app:{_canonical_uuid(tenant_uuid)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:TOKEN_LENGTH]


def custom_app_header_value(secret: str, tenant_uuid: str) -> str:
    """The X-Custom-App-Tenant-Id value the staff page offers for copying."""
    return f"{_canonical_uuid(tenant_uuid)}:{custom_app_token(secret, tenant_uuid)}"


@lru_cache(maxsize=DETECT_CACHE_SIZE)
def detect(user_agent: str) -> bool:
    """crawlerdetect's verdict for a non-blank User-Agent of at most MAX_USER_AGENT chars."""
    return _detector.isCrawler(user_agent)


@dataclass(frozen=True)
class RequestSignals:
    """What the web layer hands the feature checks about one request; built once per request."""

    user_agent: str | None
    # Header values and secrets stay out of repr so a traceback or log line never shows them.
    bypass_header: str | None = field(repr=False)
    custom_app_header: str | None = field(repr=False)
    tenant_uuid: str | None
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def is_crawler(self) -> bool:
        # A plain __dict__ memo rather than functools.cached_property: on Python 3.11 that holds
        # one lock across all instances, which would queue concurrent requests on each other.
        try:
            return self.__dict__["_is_crawler"]
        except KeyError:
            verdict = self.__dict__["_is_crawler"] = self._decide()
            return verdict

    def _decide(self) -> bool:
        if self.secrets:
            if self._bypass_matches() or self._custom_app_matches():
                return False
        elif self.bypass_header is not None or self.custom_app_header is not None:
            log.debug("crawler gate: bypass headers ignored (CRAWLER_BYPASS_SECRET is unset)")
        user_agent = (self.user_agent or "").strip()
        if not user_agent or len(user_agent) > MAX_USER_AGENT:
            return True
        return detect(user_agent)

    def _bypass_matches(self) -> bool:
        if self.bypass_header is None:
            return False
        if _matches_any(self.bypass_header.strip(), self.secrets):
            return True
        log.debug("crawler gate: X-Bypass-Crawler-Detection ignored (no secret matches)")
        return False

    def _custom_app_matches(self) -> bool:
        if self.custom_app_header is None:
            return False
        reason = self._custom_app_rejection()
        if reason is None:
            return True
        log.debug("crawler gate: X-Custom-App-Tenant-Id ignored (%s)", reason)
        return False

    def _custom_app_rejection(self) -> str | None:
        """Why the custom-app header does not bypass the gate, or None when it does."""
        parts = self.custom_app_header.strip().split(":")
        if len(parts) != 2:
            return "malformed"
        header_uuid, token = (part.strip() for part in parts)
        try:
            header_uuid = _canonical_uuid(header_uuid)
        except ValueError:
            return "malformed uuid"
        try:
            tenant_uuid = _canonical_uuid(self.tenant_uuid)
        except ValueError:
            return "no current tenant"
        if header_uuid != tenant_uuid:
            return "uuid is not the current tenant's"
        expected = [custom_app_token(secret, tenant_uuid) for secret in self.secrets]
        if not _matches_any(token, expected):
            return "no secret matches the token"
        return None


def _canonical_uuid(value: str | uuid.UUID | None) -> str:
    if value is None:
        raise ValueError("no uuid")
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))


def _matches_any(candidate: str, secrets: tuple[str, ...] | list[str]) -> bool:
    # Bytes, not str: compare_digest raises TypeError on non-ASCII str, and header values can be
    # anything a client sends. Every secret is compared so the timing does not say which matched.
    given = candidate.encode("utf-8", "surrogatepass")
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(given, secret.encode("utf-8", "surrogatepass"))
    return matched
