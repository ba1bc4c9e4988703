"""The store's home page: shelves of the tenant's display mode, five at a time."""

from app.htmx import render
from blueprints.store import bp, context
from services.storefront.service import StorefrontService
from services.storefront.settings import storefront_settings
from services.tenancy.context import current_tenant


@bp.get("/")
def index():
    tenant_id = current_tenant().id
    mode, hide_adult = storefront_settings(tenant_id)
    service = StorefrontService.for_user(
        tenant_id,
        context.reader_id(),
        options=context.listing_options(hide_adult),
        gates=context.gates(),
    )
    result = service.build_shelves(mode, context.page_arg())
    return render("store/index.html", "store/_shelves.html", result=result)


# The other store pages register on the same blueprint.
from blueprints.store import formatting, library, publications  # noqa: E402,F401
