"""HTMX helpers: page or fragment, redirects that HTMX follows, and the Vary header."""

from __future__ import annotations

import json

from flask import Response, make_response, render_template, request

# Sent by the GET an HX-Location navigation makes: it swaps the whole body, so it wants the
# page even though htmx marks it as an HTMX request (and, unlike hx-boost, not as boosted).
FULL_PAGE_HEADER = "X-Full-Page"


def is_partial() -> bool:
    """True for an HTMX request that wants a fragment (not boosted, not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
        and request.headers.get(FULL_PAGE_HEADER) != "true"
    )


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def varies(response: Response) -> Response:
    """Mark a response whose content depends on HX-Request, so no cache serves a fragment for
    a page or the other way round (ARCHITECTURE rule 10)."""
    response.vary.add("HX-Request")
    return response


def render(page: str, fragment: str, status: int = 200, **context) -> Response:
    """The whole page, or for an HTMX swap just the fragment the page includes."""
    template = fragment if is_partial() else page
    return varies(make_response(render_template(template, **context), status))


def hx_redirect(url: str, status: int = 200) -> Response:
    """A full navigation, for HTMX and plain requests alike (never a 3xx to HTMX)."""
    return _navigate("HX-Redirect", url, status)


def hx_location(url: str) -> Response:
    """An HTMX-driven navigation that swaps the body with the page at `url` (its GET carries
    FULL_PAGE_HEADER, so render() answers the page, not a fragment), or a 303 for plain
    requests."""
    spec = {"path": url, "target": "body", "headers": {FULL_PAGE_HEADER: "true"}}
    return _navigate("HX-Location", url, 200, json.dumps(spec))


def _navigate(header: str, url: str, status: int, value: str | None = None) -> Response:
    from flask import redirect

    if is_htmx():
        response = make_response("", status)
        response.headers[header] = value or url
    else:
        response = redirect(url, 303)
    return varies(response)


def toast(response: Response, message: str, level: str = "info") -> Response:
    response.headers["HX-Trigger"] = json.dumps({"toast": {"message": message, "level": level}})
    return response


def vary_on(headers: list[tuple[str, str]], header: str) -> None:
    """Add `header` to Vary in a raw WSGI header list (used by app/observability.py)."""
    for index, (name, value) in enumerate(headers):
        if name.lower() == "vary":
            if header.lower() not in value.lower():
                headers[index] = (name, f"{value}, {header}")
            return
    headers.append(("Vary", header))
