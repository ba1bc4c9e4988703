"""Read-only views of the tenant cache for staff: the Cache panel and the resolve inspector."""

from __future__ import annotations

import json
import time

from app.cache import CacheError
from app.extensions import cache, db
from app.models.tenancy import Tenant
from services.settings import platform_domain
from services.tenancy import loader
from services.tenancy.hosts import identity_host, is_ip_literal, is_valid_host, platform_hosts
from services.tenancy.resolver import domain_key, get_resolver, missing_key, payload_key


def _payload(tenant_id: int) -> tuple[dict | None, int | None]:
    raw = cache.get(payload_key(tenant_id))
    return (json.loads(raw) if raw else None), cache.ttl(payload_key(tenant_id))


def cache_panel(tenant: Tenant) -> dict:
    """DB version, the L2 payload, this process's L1, and each host's pointer and negative entry."""
    panel = {"db_version": tenant.version, "l2": None, "l2_ttl": None, "error": None, "hosts": []}
    l1 = get_resolver().l1.payloads.get(tenant.id, time.monotonic())
    panel["l1_version"] = l1.version if l1 else None
    try:
        panel["l2"], panel["l2_ttl"] = _payload(tenant.id)
        listed = {d["host"] for d in (panel["l2"] or {}).get("domains", [])}
        for domain in tenant.domains:
            pointer = cache.get(domain_key(domain.host))
            panel["hosts"].append(
                {
                    "host": domain.host,
                    "pointer": pointer,
                    "trusted": pointer == str(tenant.id) and domain.host in listed,
                    "negative": cache.get(missing_key(domain.host)) is not None,
                }
            )
    except CacheError as exc:
        panel["error"] = str(exc)
    return panel


def inspect_host(raw: str) -> dict:
    """What a request for `raw` would resolve to and where the answer lives now; fills nothing."""
    host = identity_host(raw)
    report = {
        "input": raw,
        "host": host,
        "valid": is_valid_host(host),
        "outcome": None,
        "tenant": None,
        "found_in": None,
        "pointer_trusted": None,
    }
    if not report["valid"]:
        report["outcome"] = "unknown host (404)" if is_ip_literal(host) else "bad request (400)"
        return report
    bare, www, staff = platform_hosts(platform_domain())
    if host in (bare, www):
        report["outcome"] = "redirect to the platform host"
        return report
    if host == staff:
        report["outcome"] = "platform"
        return report
    l1 = get_resolver().l1
    now = time.monotonic()
    tenant_id = l1.hosts.get(host, now)
    if l1.negative.get(host, now):
        report["found_in"] = "L1 (negative)"
    elif tenant_id is not None and l1.payloads.get(tenant_id, now) is not None:
        report["found_in"] = "L1"
    else:
        try:
            negative, pointer = cache.mget(missing_key(host), domain_key(host))
            if negative is not None:
                report["found_in"] = "L2 (negative)"
            elif pointer is not None:
                payload, _ = _payload(int(pointer))
                listed = payload and host in {d["host"] for d in payload.get("domains", [])}
                report["pointer_trusted"] = bool(listed)
                report["found_in"] = "L2" if listed else "database only (pointer untrusted)"
        except CacheError:
            report["found_in"] = "database only (cache unavailable)"
    found = loader.load(db.session, "host", host)
    report["outcome"] = "tenant" if found else "unknown host (404)"
    report["found_in"] = report["found_in"] or "database only"
    report["tenant"] = found
    return report
