"""Per-request bookkeeping: a request id for logs and activity rows, and the response headers
every answer carries (set in a WSGI middleware: cheaper than header objects per response)."""

import os
import re

from flask import Flask, g, request

from app.htmx import vary_on

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Referrer-Policy", "same-origin"),
)


def request_id() -> str:
    """This request's id: the caller's X-Request-Id when well formed, else a new one."""
    rid = g.get("request_id")
    if rid is None:
        given = request.environ.get("HTTP_X_REQUEST_ID", "")
        rid = given if given and _REQUEST_ID.match(given) else os.urandom(12).hex()
        g.request_id = request.environ["app.request_id"] = rid  # the middleware echoes it
    return rid


class ResponseHeadersMiddleware:
    """Security headers on every response; HTML gets `Cache-Control: no-store` unless its view
    chose a policy (pages carry forms or account data, spec 10 §13). Each header costs the
    server a few microseconds per response, so none is sent that changes nothing."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            # One pass over the (short) header list: this runs for every response.
            seen = {}
            for name, value in headers:
                seen[name.lower()] = value
            for pair in _SECURITY_HEADERS:
                if pair[0].lower() not in seen:
                    headers.append(pair)
            rid = environ.get("app.request_id")
            if rid and "x-request-id" not in seen:
                headers.append(("X-Request-Id", rid))
            cache_control = seen.get("cache-control")
            if cache_control is None and seen.get("content-type", "").startswith("text/html"):
                headers.append(("Cache-Control", "no-store"))
            elif "no-store" not in (cache_control or ""):
                # A cacheable answer that read the (empty) session varies on the cookie.
                for header in environ.get("app.vary", ()):
                    vary_on(headers, header)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def init_app(app: Flask) -> None:
    app.wsgi_app = ResponseHeadersMiddleware(app.wsgi_app)
