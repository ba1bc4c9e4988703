"""Per-request bookkeeping: a request id for logs and activity rows, and response headers."""

import re
import uuid

from flask import Flask, g, request

from app.htmx import add_vary

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def init_app(app: Flask) -> None:
    @app.before_request
    def _request_id():
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _headers(response):
        add_vary(response)
        if getattr(g, "request_id", None):
            response.headers["X-Request-Id"] = g.request_id
        if response.mimetype == "text/html" and "Cache-Control" not in response.headers:
            # Pages carry forms or account data; nothing is shared between people (spec 10 §13).
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
