"""The library pages: the filtered grid with its facets, and the active-search preview."""

from flask import abort, make_response, redirect, render_template, request

from app.htmx import is_partial, render, varies
from blueprints.feature_gates import request_signals
from blueprints.store import bp, context
from services import features
from services.inventory.url_contract import library_url, parse_library_query
from services.storefront.facets import ORDER_CHOICES, library_facets
from services.storefront.library import library_page, search_preview
from services.storefront.settings import storefront_settings
from services.tenancy.context import current_tenant

NOINDEX = "noindex, follow"
MAX_QUERY = 100


def _noindex(response):
    response.headers["X-Robots-Tag"] = NOINDEX
    return response


@bp.get("/library/filter")
def library():
    tenant, gates = current_tenant(), context.gates()
    _, hide_adult = storefront_settings(tenant.id)
    query = parse_library_query(request.args, tenant.id, gates=gates)
    result = library_page(
        tenant.id,
        context.reader_id(),
        query,
        gates=gates,
        options=context.listing_options(hide_adult),
    )
    facets = library_facets(
        tenant.id, query.params, locale=tenant.locale, signed_in=context.reader_id() is not None
    )
    response = render(
        "store/library.html",
        "store/_results.html",
        query=query,
        result=result,
        facets=facets,
        order_choices=ORDER_CHOICES,
        current_order=query.order or ("" if query.q else "published_at"),
    )
    return _noindex(varies(response))


@bp.get("/library/search")
def search():
    tenant = current_tenant()
    if not features.enabled(tenant, "storefront_search", request_signals()):
        abort(404)
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    if not is_partial():
        # Without HTMX the preview has no box to drop into: the full results are the answer.
        return varies(redirect(library_url(q=q or None), 303))
    searched, result = len(q) >= 2, None
    if searched:
        _, hide_adult = storefront_settings(tenant.id)
        options = context.listing_options(hide_adult)
        gates = context.gates()
        result = search_preview(tenant.id, context.reader_id(), q, gates=gates, options=options)
    response = make_response(
        render_template("store/_search_results.html", q=q, result=result, searched=searched)
    )
    return _noindex(varies(response))
