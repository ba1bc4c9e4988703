"""The request side of tenancy: host middleware, resolution, per-tenant sessions, route guards."""

from __future__ import annotations

import logging
import uuid as uuid_lib
from functools import lru_cache, wraps

from flask import (
    Flask,
    abort,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from services.tenancy import context
from services.tenancy.context import TenantContext
from services.tenancy.hosts import identity_host, is_ip_literal, is_valid_host, platform_hosts
from services.tenancy.resolver import get_resolver

log = logging.getLogger("tenancy")

UNKNOWN_HOST_BODY = "There is no store at this address."
SKIP_PREFIXES = ("/static/",)
SKIP_PATHS = ("/healthz", "/readyz")
SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "TRACE"))
NEVER_REDIRECT = ("/payment/ipn/", "/api/", "/integration-api/", "/checkout/return/")


class Outcome:
    """What the host of a request resolved to; memoised in the WSGI environ. A plain slotted
    class: every request builds one, and a frozen dataclass costs several times as much."""

    __slots__ = ("kind", "host", "tenant", "cookie")

    def __init__(self, kind: str, host: str = "", tenant: TenantContext | None = None):
        self.kind = kind  # skip | bad | ip | bare | platform | tenant | unknown | error
        self.host = host
        self.tenant = tenant
        # The session cookie name and the `_tid` a session must carry on this host.
        self.cookie: tuple[str, int] | None = None
        if kind == "tenant":
            self.cookie = (f"tenant_{tenant.slug}", tenant.id)
        elif kind == "platform":
            self.cookie = ("platform_session", 0)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return (self.kind, self.host, self.tenant) == (other.kind, other.host, other.tenant)

    __hash__ = None

    def __repr__(self) -> str:
        return f"Outcome({self.kind!r}, {self.host!r})"


@lru_cache(maxsize=8192)
def classify_host(host: str, platform_domain: str) -> str:
    """'bad', 'ip', 'bare', 'platform' or 'tenant' (a host some tenant may own); cached
    because every request of a host asks the same."""
    if not host or not is_valid_host(host):
        return "ip" if host and is_ip_literal(host) else "bad"
    bare, www, staff = platform_hosts(platform_domain)
    if host in (bare, www):
        return "bare"
    return "platform" if host == staff else "tenant"


class TenancyHostMiddleware:
    """Picks the identity host (X-Forwarded-Host only behind trusted proxies) before Flask runs,
    and leaves the tenant scope the request entered once Flask is done with it (teardown runs
    inside Flask's wsgi_app, so this is the same moment, without a teardown hook per request).
    """

    def __init__(self, wsgi_app, trusted_proxies: int):
        self.wsgi_app = wsgi_app
        self.trusted = trusted_proxies > 0

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST", "")
        forwarded = environ.get("HTTP_X_FORWARDED_HOST")
        if self.trusted and forwarded:
            host = forwarded.split(",")[0].strip()
        if host:
            environ["HTTP_HOST"] = host
        environ["tenancy.host"] = _identity_host(host)
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            tokens = environ.pop("tenancy.tokens", None)
            if tokens:
                for token in reversed(tokens):
                    context.reset_scope(token)


_identity_host = lru_cache(maxsize=4096)(identity_host)  # the same few hosts on every request


def resolve_request(environ, platform_domain: str) -> Outcome:
    """Resolve once per request; never raises (errors become an 'error' outcome)."""
    cached = environ.get("tenancy.outcome")
    if cached is not None:
        return cached
    path = environ.get("PATH_INFO", "")
    host = environ.get("tenancy.host", "")
    if path in SKIP_PATHS or path.startswith(SKIP_PREFIXES):
        outcome = Outcome("skip", host)
    elif (kind := classify_host(host, platform_domain)) != "tenant":
        outcome = Outcome(kind, host)
    else:
        try:
            tenant = get_resolver().resolve_host(host)
            outcome = Outcome("tenant" if tenant else "unknown", host, tenant)
        except Exception:
            log.exception("tenancy.resolve_failed host=%s", host)
            outcome = Outcome("error", host)
    environ["tenancy.outcome"] = outcome
    return outcome


def _tenant_outcome(tenant: TenantContext, host: str) -> Outcome:
    """One Outcome per cached tenant and host: it never changes while the tenant's cached
    payload lives (a change replaces the payload, and this memo goes with it)."""
    memo = tenant.extra.get("outcomes")
    if memo is None:
        memo = tenant.extra["outcomes"] = {}
    found = memo.get(host)
    if found is None:
        found = memo[host] = Outcome("tenant", host, tenant)
    return found


def outcome() -> Outcome:
    return request.environ.get("tenancy.outcome") or Outcome("skip")


def _mark_modified(session) -> None:
    session.modified = True


class TenantSession(SecureCookieSession):
    """A cookie session that remembers which cookie, and which `_tid`, it belongs to. The
    update callback is one shared function rather than a closure built for every request."""

    owner: tuple[str, int] | None = None
    on_update = staticmethod(_mark_modified)

    def __init__(self, initial=None):
        dict.__init__(self, initial or ())


class TenantSessionInterface(SecureCookieSessionInterface):
    """One cookie per tenant (`tenant_<slug>`) or `platform_session`; a session is only valid
    on the tenant, or the platform, that issued it."""

    session_class = TenantSession
    _serializers: dict = {}

    def _owner(self, app, request_) -> tuple[str, int] | None:
        return resolve_request(request_.environ, app.config["PLATFORM_DOMAIN"]).cookie

    def get_signing_serializer(self, app):
        # Built once per key set: constructing it costs more than resolving the tenant.
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = self._serializers[key] = super().get_signing_serializer(app)
        return serializer

    def get_cookie_name(self, app) -> str:
        owner = self._owner(app, request)
        return owner[0] if owner else app.config["SESSION_COOKIE_NAME"]

    def open_session(self, app, request_):
        owner = self._owner(app, request_)
        if owner is None:
            return self.make_null_session(app)
        session = self.session_class(self._load(app, request_, owner))
        session.owner = owner  # save_session needs it and has no request argument
        return session

    def _load(self, app, request_, owner) -> dict:
        """The cookie's data when it is genuine, unexpired and issued on this host; else {}."""
        if "HTTP_COOKIE" not in request_.environ:
            return {}  # most first visits: no cookie to parse
        raw = request_.cookies.get(owner[0])
        serializer = self.get_signing_serializer(app) if raw else None
        if serializer is None:
            return {}
        try:
            data = serializer.loads(
                raw, max_age=int(app.permanent_session_lifetime.total_seconds())
            )
        except Exception:
            return {}
        # A cookie issued for another tenant or for the platform is no session here.
        return data if data.get("_tid") == owner[1] else {}

    def save_session(self, app, session, response):
        owner = getattr(session, "owner", None)
        if owner is None:
            return
        if not session and not session.modified:
            # Nothing to write: only note that the answer depended on the (absent) cookie.
            if session.accessed:
                request.environ.setdefault("app.vary", []).append("Cookie")
            return
        if session and session.get("_tid") != owner[1]:
            session["_tid"] = owner[1]
        super().save_session(app, session, response)


def unknown_host_response():
    response = make_response(UNKNOWN_HOST_BODY, 404)
    response.headers["Cache-Control"] = "no-store"
    response.mimetype = "text/plain"
    return response


def _json_error(code: str, status: int):
    return make_response(jsonify(error=code), status)


def _enforce(environ, platform_domain: str):
    """The first before_request: answer 400/404/302/301 or enter the request's context."""
    result = resolve_request(environ, platform_domain)
    if result.kind == "skip":
        return None
    if result.kind == "bad":
        return make_response("Bad request", 400, {"Content-Type": "text/plain"})
    if result.kind in ("ip", "unknown"):
        return unknown_host_response()
    if result.kind == "error":
        return make_response("Service temporarily unavailable", 503, {"Retry-After": "5"})
    if result.kind == "bare":
        if request.method in ("GET", "HEAD"):
            return _redirect_to(f"app.{platform_domain}", 302)
        return unknown_host_response()
    if result.kind == "platform":
        _push(environ, context.enter_platform())
        _authenticate_bearer()
        if "HTTP_X_TENANT_ID" in environ:
            return _honour_tenant_header()
        if request.path == "/":
            return redirect("/platform/", 302)
        return None
    tenant = result.tenant
    if "HTTP_X_TENANT_ID" in environ:
        log.debug("tenancy.header_ignored host=%s", result.host)
    _push(environ, context.enter_tenant(tenant))
    if result.host != tenant.primary_host and request.method in ("GET", "HEAD"):
        if request.path.startswith(NEVER_REDIRECT):
            return None
        return _redirect_to(tenant.primary_host, 301)
    return None


def _redirect_to(host: str, status: int):
    """The same path and query on `host`, keeping the scheme and any explicit port."""
    port = f":{request.host.rsplit(':', 1)[1]}" if ":" in request.host else ""
    return redirect(f"{request.scheme}://{host}{port}{request.full_path}".rstrip("?"), status)


def _push(environ, token) -> None:
    """Remember a scope entered for this request; TenancyHostMiddleware leaves it."""
    tokens = environ.get("tenancy.tokens")
    if tokens is None:
        environ["tenancy.tokens"] = [token]
    else:
        tokens.append(token)


def _authenticate_bearer() -> None:
    """An internal API token on the platform host marks the request as token-authenticated."""
    from app.extensions import db
    from services import api_tokens

    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return
    row = api_tokens.verify(header[7:].strip())
    if row is not None:
        api_tokens.touch(row)
        db.session.commit()  # last_used_at is bookkeeping of the caller, not of the view
        request.environ["auth.api_token"] = row.token_prefix


def _honour_tenant_header():
    """X-Tenant-Id on the platform host: staff session or internal API token first (§3.4)."""
    from flask_login import current_user

    raw = request.headers.get("X-Tenant-Id", "").strip()
    try:
        tenant_uuid = str(uuid_lib.UUID(raw))
    except ValueError:
        return _json_error("invalid_tenant_header", 400)
    token_prefix = request.environ.get("auth.api_token")
    if request.headers.get("Authorization", "").startswith("Bearer "):
        actor = token_prefix
    else:
        user = current_user._get_current_object()
        actor = user.email if getattr(user, "is_authenticated", False) and user.is_staff else None
    if actor is None:
        return _json_error("tenant_header_not_allowed", 403)
    tenant = get_resolver().resolve_uuid(tenant_uuid)
    if tenant is None:
        return _json_error("tenant_not_found", 404)
    if token_prefix and request.method not in ("GET", "HEAD") and tenant.is_suspended:
        return _json_error("tenant_suspended", 403)
    log.info("tenancy.header_tenant actor=%s tenant=%s path=%s", actor, tenant.id, request.path)
    _push(request.environ, context.enter_tenant(tenant))
    return None


def tenant_header_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if "X-Tenant-Id" not in request.headers:
            return _json_error("tenant_header_required", 412)
        return view(*args, **kwargs)

    return wrapper


def tenant_header_forbidden(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if "X-Tenant-Id" in request.headers:
            return _json_error("tenant_header_forbidden", 412)
        return view(*args, **kwargs)

    return wrapper


def suspended_store_response():
    response = make_response(render_template("errors/suspended.html"), 403)
    response.headers["Cache-Control"] = "no-store"
    return response


def guard_tenant_area(bp, group: str) -> None:
    """Routes of `bp` exist only on tenant hosts; `group` picks the suspension behaviour (§6)."""

    @bp.before_request
    def _tenant_only():
        if outcome().kind != "tenant":
            abort(404)
        tenant = context.current_tenant()
        if not tenant.is_suspended:
            return None
        if group == "store":
            return suspended_store_response()
        if group == "dashboard" and request.method not in ("GET", "HEAD"):
            from app.htmx import is_htmx, toast

            if is_htmx():
                fragment = make_response(render_template("errors/_suspended_fragment.html"), 403)
                return toast(fragment, "Account suspended: read-only", "error")
            abort(403)
        if group == "api":
            return _json_error("tenant_suspended", 403)
        if group == "integration":
            return make_response(jsonify(CODE="tenant_suspended"), 403)
        return None


def guard_platform_area(bp) -> None:
    """Routes of `bp` exist only on the platform host."""

    @bp.before_request
    def _platform_only():
        if outcome().kind != "platform":
            abort(404)


def tenant_url(endpoint: str, **values) -> str:
    """An absolute URL on the current tenant's primary host."""
    from flask import current_app, url_for

    from services.tenancy.helpers import url_for_tenant

    path = url_for(endpoint, **values)
    return url_for_tenant(
        context.current_tenant(),
        path,
        scheme=current_app.config["PREFERRED_URL_SCHEME"],
        port=current_app.config.get("EXTERNAL_PORT"),
    )


def init_app(app: Flask) -> None:
    from app.extensions import csrf
    from services.tenancy import bus as bus_module
    from services.tenancy import invalidation, resolver, scoping

    scoping.install()
    invalidation.install()
    resolver.configure(app.config["TENANT_L1_TTL"], app.config["TENANT_LOCK_WAIT"])
    bus_module.bus.configure(app, app.config.get("BUS", "auto"))
    trusted = app.config["TRUSTED_PROXIES"]
    app.wsgi_app = TenancyHostMiddleware(app.wsgi_app, trusted)
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=0)
    app.session_interface = TenantSessionInterface()

    def _before_request():
        """First hook of every request: the host's outcome, then the bus listener, then CSRF on
        state-changing requests except token-authenticated API calls (§9.4). One hook, not
        three: each hook costs every request its own dispatch."""
        environ = request.environ  # one proxy lookup for the whole hook
        response = _enforce(environ, config["PLATFORM_DOMAIN"])
        if response is not None:
            return response
        bus_module.bus.ensure_listener()
        if (
            environ["REQUEST_METHOD"] not in SAFE_METHODS
            and config["WTF_CSRF_ENABLED"]
            and "auth.api_token" not in environ
        ):
            csrf.protect(apply_exemptions=True)
        return None

    config = app.config
    app.before_request_funcs.setdefault(None, []).insert(0, _before_request)

    @app.context_processor
    def _globals():
        result = outcome()
        return {
            "tenant": context.current_tenant_or_none(),
            "is_platform_host": result.kind == "platform",
            "has_session": result.kind in ("tenant", "platform"),
            "tenant_url": tenant_url,
        }
