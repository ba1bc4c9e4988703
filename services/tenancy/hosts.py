"""Host and slug rules: normalisation, syntax, the platform's own hosts, reserved slugs."""

import ipaddress
import re
from functools import lru_cache

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?!-)){1,30}[a-z0-9]$")
RESERVED_SLUGS = frozenset(
    (
        "app www api admin platform static assets cdn media mail smtp imap ftp status health help "
        "support docs blog telescope dashboard login logout checkout payment payments webhooks "
        "billing internal system root test staging dev localhost"
    ).split()
)


def identity_host(raw: str | None) -> str:
    """The host a request identifies by: port and one trailing dot removed, lower-cased."""
    if not raw:
        return ""
    host = raw.strip()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1].lower() if end != -1 else host.lower()
    if host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    if host.endswith("."):
        host = host[:-1]
    return host.lower()


def is_ip_literal(host: str) -> bool:
    if host.startswith("[") and host.endswith("]"):
        return True
    try:
        ipaddress.IPv4Address(host)
        return True
    except ValueError:
        return ":" in host


def is_valid_host(host: str) -> bool:
    """ASCII labels of letters, digits and inner hyphens, at most 253 characters, not an IP."""
    if not host or len(host) > 253 or not host.isascii() or is_ip_literal(host):
        return False
    return all(_LABEL.match(label) for label in host.split("."))


def normalise_custom_host(raw: str) -> str:
    """Staff input to a stored host: trimmed, lower-cased, Unicode encoded with IDNA."""
    host = raw.strip().rstrip(".").lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return ""
    return host


def slug_problem(slug: str) -> str | None:
    """Why a slug is unusable, or None when it is fine."""
    if not SLUG_RE.match(slug or ""):
        return (
            "Use 3–32 lower-case letters, digits and single hyphens, "
            "starting and ending with a letter or digit."
        )
    if slug in RESERVED_SLUGS or slug.startswith("xn-"):
        return "This address is reserved."
    return None


@lru_cache(maxsize=8)
def platform_hosts(platform_domain: str) -> tuple[str, str, str]:
    """The bare domain, its www and the staff host app.<domain>."""
    return platform_domain, f"www.{platform_domain}", f"app.{platform_domain}"


def subdomain_host(slug: str, platform_domain: str) -> str:
    return f"{slug}.{platform_domain}"
