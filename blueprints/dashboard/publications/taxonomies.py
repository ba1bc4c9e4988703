"""Taxonomies and their terms: create, edit, delete; the collection flag, restricted terms and
how many terms one storefront filter combines."""

from flask import abort, request, url_for

from app.extensions import db
from app.htmx import hx_location, render, toast
from blueprints.access import actor, admin_required
from blueprints.dashboard import bp
from blueprints.dashboard.publications.common import AREA, page_context
from blueprints.dashboard.publications.forms import PlainForm, TaxonomyForm, TermForm
from services.catalog import taxonomies as taxonomy_service
from services.errors import DomainError, NotFound
from services.tenancy.context import current_tenant


def _edit_forms(groups, posted: dict) -> dict:
    """One prefilled form per taxonomy and term (a posted one keeps what was typed)."""
    forms = {}
    for group in groups:
        key = str(group.uuid)
        forms[key] = posted.get(key) or TaxonomyForm(
            prefix=f"t{group.id}",
            formdata=None,
            obj=group,
            max_filter_terms=str(group.max_filter_terms),
        )
        for term in group.terms:
            key = str(term.uuid)
            forms[key] = posted.get(key) or TermForm(
                prefix=f"term{term.id}", formdata=None, obj=term
            )
        key = f"terms-{group.uuid}"
        forms[key] = posted.get(key) or TermForm(prefix=f"newterm{group.id}", formdata=None)
    return forms


def _page(status=200, errors=None, posted=None):
    groups = taxonomy_service.taxonomies_with_terms(current_tenant().id)
    posted = posted or {}
    context = page_context(
        groups=groups,
        new_taxonomy=posted.get("new") or TaxonomyForm(prefix="new", formdata=None),
        forms=_edit_forms(groups, posted),
        plain=PlainForm(prefix="tax"),
        errors=errors or {},
    )
    return render(
        "dashboard/publications/taxonomies.html",
        "dashboard/publications/_taxonomies.html",
        status,
        **context,
    )


def _done(message):
    return toast(hx_location(url_for("dashboard.publication_taxonomies")), message, "success")


def _taxonomy(uuid):
    try:
        return taxonomy_service.get_taxonomy(current_tenant().id, uuid)
    except NotFound:
        abort(404)


def _term(uuid):
    try:
        return taxonomy_service.get_term(current_tenant().id, uuid)
    except NotFound:
        abort(404)


def _run(change, message, error_key, form=None):
    """Commit one change and go back to the page, or re-render it with the refusal (422)."""
    try:
        change()
        db.session.commit()
        return _done(message)
    except DomainError as exc:
        db.session.rollback()
        return _page(422, {error_key: exc.message}, {error_key: form} if form else None)


def _invalid(form) -> str:
    return "; ".join(f"{form[name].label.text}: {errs[0]}" for name, errs in form.errors.items())


@bp.route("/publications/taxonomies", methods=["GET", "POST"], defaults=AREA)
@admin_required
def publication_taxonomies(slug):
    if request.method == "GET":
        return _page()
    form = TaxonomyForm(prefix="new")
    if not form.validate_on_submit():
        return _page(422, {"new": _invalid(form)}, {"new": form})
    values = _taxonomy_values(form)
    return _run(
        lambda: taxonomy_service.create_taxonomy(actor(), current_tenant().id, **values),
        f"Taxonomy {values['name']} created.",
        "new",
        form,
    )


def _taxonomy_values(form) -> dict:
    return {
        "name": form.name.data.strip(),
        "slug": form.slug.data.strip(),
        "is_collection": form.is_collection.data,
        "max_filter_terms": int(form.max_filter_terms.data),
    }


@bp.post("/publications/taxonomies/<uuid:uuid>/edit", defaults=AREA)
@admin_required
def edit_taxonomy(slug, uuid):
    taxonomy = _taxonomy(uuid)
    form = TaxonomyForm(prefix=f"t{taxonomy.id}")
    if not form.validate_on_submit():
        return _page(422, {str(taxonomy.uuid): _invalid(form)}, {str(taxonomy.uuid): form})
    values = _taxonomy_values(form)
    return _run(
        lambda: taxonomy_service.update_taxonomy(actor(), current_tenant().id, uuid, **values),
        f"Taxonomy {values['name']} saved.",
        str(taxonomy.uuid),
        form,
    )


@bp.post("/publications/taxonomies/<uuid:uuid>/delete", defaults=AREA)
@admin_required
def delete_taxonomy(slug, uuid):
    taxonomy = _taxonomy(uuid)
    if not PlainForm(prefix="tax").validate_on_submit():
        return _page(422, {str(taxonomy.uuid): "The form expired; reload the page."})
    return _run(
        lambda: taxonomy_service.delete_taxonomy(actor(), current_tenant().id, uuid),
        f"Taxonomy {taxonomy.name} deleted.",
        str(taxonomy.uuid),
    )


@bp.post("/publications/taxonomies/<uuid:uuid>/terms", defaults=AREA)
@admin_required
def create_term(slug, uuid):
    taxonomy = _taxonomy(uuid)
    form = TermForm(prefix=f"newterm{taxonomy.id}")
    key = f"terms-{taxonomy.uuid}"
    if not form.validate_on_submit():
        return _page(422, {key: _invalid(form)}, {key: form})
    values = _term_values(form)
    return _run(
        lambda: taxonomy_service.create_term(actor(), current_tenant().id, uuid, **values),
        f"Term {values['name']} added.",
        key,
        form,
    )


def _term_values(form) -> dict:
    return {
        "name": form.name.data.strip(),
        "slug": (form.slug.data or "").strip() or None,
        "restricted": form.restricted.data,
    }


@bp.post("/publications/terms/<uuid:uuid>/edit", defaults=AREA)
@admin_required
def edit_term(slug, uuid):
    term = _term(uuid)
    form = TermForm(prefix=f"term{term.id}")
    if not form.validate_on_submit():
        return _page(422, {str(term.uuid): _invalid(form)}, {str(term.uuid): form})
    values = _term_values(form)
    return _run(
        lambda: taxonomy_service.update_term(actor(), current_tenant().id, uuid, **values),
        f"Term {values['name']} saved.",
        str(term.uuid),
        form,
    )


@bp.post("/publications/terms/<uuid:uuid>/delete", defaults=AREA)
@admin_required
def delete_term(slug, uuid):
    term = _term(uuid)
    if not PlainForm(prefix="tax").validate_on_submit():
        return _page(422, {str(term.uuid): "The form expired; reload the page."})
    return _run(
        lambda: taxonomy_service.delete_term(actor(), current_tenant().id, uuid),
        f"Term {term.name} deleted.",
        str(term.uuid),
    )
