"""Per-request bookkeeping: a request id for logs and activity rows, and the response headers
every answer carries (added to the WSGI header list: cheaper than header objects)."""

import os
import re

from flask import Flask, g, request
from flask import Response as FlaskResponse

from app.htmx import vary_on

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_SECURITY_HEADERS = tuple(
    (name.lower(), (name, value))
    for name, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Referrer-Policy", "same-origin"),
    )
)


def request_id() -> str:
    """This request's id: the caller's X-Request-Id when well formed, else a new one."""
    rid = g.get("request_id")
    if rid is None:
        given = request.environ.get("HTTP_X_REQUEST_ID", "")
        rid = given if given and _REQUEST_ID.match(given) else os.urandom(12).hex()
        g.request_id = request.environ["app.request_id"] = rid  # the middleware echoes it
    return rid


class Response(FlaskResponse):
    """Flask's response with the headers every answer carries: security headers, and
    `Cache-Control: no-store` on HTML unless its view chose a policy (pages carry forms or
    account data, spec 10 §13). Added to the final WSGI header list, where each costs a list
    append, rather than through a middleware layer per request."""

    def get_wsgi_response(self, environ):
        app_iter, status, headers = super().get_wsgi_response(environ)
        complete_headers(headers, environ)
        return app_iter, status, headers


def complete_headers(headers: list, environ) -> None:
    """Add what a response did not set itself to its WSGI header list."""
    seen = {name.lower(): value for name, value in headers}
    for lowered, pair in _SECURITY_HEADERS:
        if lowered not in seen:
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


def init_app(app: Flask) -> None:
    app.response_class = Response
