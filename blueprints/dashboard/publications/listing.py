"""The publications table: filters, sort, 25 a page, the quota meter and the Upload button."""

from datetime import UTC, datetime

from flask import request
from wtforms.fields.choices import SelectChoice

from app.htmx import render
from blueprints.access import admin_required
from blueprints.dashboard import bp
from blueprints.dashboard.publications.common import (
    AREA,
    cover_urls,
    page_context,
    price_context,
    quota,
)
from blueprints.dashboard.publications.forms import FilterForm
from services.catalog import admin_list
from services.catalog import taxonomies as taxonomy_service
from services.tenancy.context import current_tenant


def term_choices(taxonomies) -> list[SelectChoice]:
    options = [SelectChoice("", "Any term")]
    for taxonomy in taxonomies:
        options += [SelectChoice(str(t.id), t.name, optgroup=taxonomy.name) for t in taxonomy.terms]
    return options


@bp.get("/publications", defaults=AREA)
@admin_required
def publications(slug):
    tenant = current_tenant()
    form = FilterForm(request.args)
    form.term.choices = term_choices(taxonomy_service.taxonomies_with_terms(tenant.id))
    result = admin_list.list_catalog(tenant.id, form.query(request.args.get("page", 1, type=int)))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render(
        "dashboard/publications/index.html",
        "dashboard/publications/_table.html",
        **page_context(
            form=form,
            result=result,
            args=args,
            quota=quota(tenant),
            covers=cover_urls(result.rows),
            now=datetime.now(UTC),
            **price_context(result.rows),
        ),
    )
