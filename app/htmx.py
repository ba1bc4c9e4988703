"""HTMX helpers: page or fragment, redirects that HTMX follows, and the Vary header."""

from __future__ import annotations

from flask import Response, make_response, render_template, request


def is_partial() -> bool:
    """True for an HTMX request that wants a fragment (not boosted, not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def render(page: str, fragment: str, status: int = 200, **context) -> Response:
    """The whole page, or for an HTMX swap just the fragment the page includes."""
    template = fragment if is_partial() else page
    return make_response(render_template(template, **context), status)


def hx_redirect(url: str, status: int = 200) -> Response:
    """A full navigation, for HTMX and plain requests alike (never a 3xx to HTMX)."""
    from flask import redirect

    if is_htmx():
        response = make_response("", status)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def hx_location(url: str) -> Response:
    """An HTMX-driven navigation that swaps the body (boosted), or a 303 for plain requests."""
    from flask import redirect

    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Location"] = url
        return response
    return redirect(url, 303)


def toast(response: Response, message: str, level: str = "info") -> Response:
    import json

    response.headers["HX-Trigger"] = json.dumps({"toast": {"message": message, "level": level}})
    return response


def add_vary(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.vary.add("HX-Request")
    return response
