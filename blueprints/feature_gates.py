"""Feature and kill-switch gates for views, and the feature helpers of templates (spec 20 §9)."""

from __future__ import annotations

from functools import lru_cache, wraps

from flask import (
    current_app,
    g,
    has_request_context,
    jsonify,
    make_response,
    render_template,
    request,
)

from app.htmx import is_partial, varies
from services import features, platform
from services.errors import UnknownFeature, UnknownKillSwitch
from services.features import registry, values
from services.features.crawler import RequestSignals, parse_secrets
from services.tenancy.context import current_tenant_or_none

# A request wants JSON when it is an API call (these prefixes) or when its Accept header
# prefers application/json to text/html; a missing Accept header, `*/*` and browsers get HTML.
JSON_PREFIXES = ("/api/", "/integration-api/")

_secrets = lru_cache(maxsize=8)(parse_secrets)  # the same configured string on every request


def request_signals() -> RequestSignals:
    """What the feature checks may know about this request, built once and kept on `g`."""
    signals = g.get("feature_signals")
    if signals is None:
        headers = request.headers
        tenant = current_tenant_or_none()
        signals = g.feature_signals = RequestSignals(
            user_agent=headers.get("User-Agent"),
            bypass_header=headers.get("X-Bypass-Crawler-Detection"),
            custom_app_header=headers.get("X-Custom-App-Tenant-Id"),
            tenant_uuid=tenant.uuid if tenant is not None else None,
            secrets=_secrets(current_app.config.get("CRAWLER_BYPASS_SECRET")),
        )
    return signals


def wants_json() -> bool:
    if request.path.startswith(JSON_PREFIXES):
        return True
    accept = request.accept_mimetypes
    return accept.best_match(("text/html", "application/json")) == "application/json"


def feature_denied(slug: str):
    """403 as JSON, as the fragment for an HTMX swap, or as the full page."""
    if wants_json():
        response = make_response(jsonify(error="feature_not_available", feature=slug), 403)
    else:
        template = "_feature_denied.html" if is_partial() else "errors/feature_denied.html"
        response = make_response(render_template(template, feature_slug=slug), 403)
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept")
    return varies(response)


def require_feature(slug: str):
    """Let the view run only when the current tenant has `slug`; place it under the sign-in
    guard so anonymous visitors are still sent to log in. No tenant means no feature."""
    if slug not in registry.FEATURES:  # code only checks registry slugs (spec 20 §4.1)
        raise UnknownFeature(slug)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            tenant = current_tenant_or_none()
            if tenant is None or not features.enabled(tenant, slug, request_signals()):
                return feature_denied(slug)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def require_switch(name: str, code: str = "temporarily_disabled", retry_after: int = 60):
    """Answer 503 JSON with Retry-After while kill switch `name` is off (spec 20 §6.2)."""
    if name not in registry.SWITCHES:  # a typo fails when the module loads, not on a request
        raise UnknownKillSwitch(name)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if platform.enabled(name):
                return view(*args, **kwargs)
            response = make_response(jsonify(error=code, control=name), 503)
            response.headers["Retry-After"] = str(int(retry_after))
            response.headers["Cache-Control"] = "no-store"
            return response

        return wrapper

    return decorate


def feature(slug: str) -> bool:
    """Template helper: the current tenant has `slug` (False outside a tenant)."""
    tenant = current_tenant_or_none()
    if tenant is None:
        return False
    signals = request_signals() if has_request_context() else None
    return features.enabled(tenant, slug, signals)


def feature_limit(slug: str):
    """Template helper: the current tenant's limit (None outside a tenant or without access)."""
    tenant = current_tenant_or_none()
    return None if tenant is None else features.limit(tenant, slug)


def init_app(app) -> None:
    app.jinja_env.globals.update(
        feature=feature,
        feature_limit=feature_limit,
        format_limit=values.display,
        platform_enabled=platform.enabled,
    )
