"""The store home page's shelves: create, edit, delete, reorder, hand-pick items, and the
display mode (spec 70 §4.3, §6)."""

from functools import partial

from flask import abort, request, url_for
from wtforms.fields.choices import SelectChoice

from app.extensions import db
from app.htmx import hx_location, render, toast
from blueprints.access import actor, admin_required
from blueprints.dashboard import bp
from blueprints.dashboard.publications.common import AREA, page_context
from blueprints.dashboard.publications.forms import PlainForm
from blueprints.dashboard.publications.shelf_forms import SettingsForm, ShelfForm, ShelfItemsForm
from services.catalog import admin_list
from services.catalog import taxonomies as taxonomy_service
from services.errors import DomainError, NotFound
from services.storefront import admin as shelf_service
from services.storefront.settings import storefront_settings
from services.tenancy.context import current_tenant


def _term_choices(tenant_id: int) -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [
        SelectChoice(str(term.id), term.name, optgroup=group.name)
        for group in taxonomy_service.taxonomies_with_terms(tenant_id)
        for term in group.terms
    ]


def _shelf_form(prefix: str, tenant_id: int, shelf=None, formdata=True) -> ShelfForm:
    kwargs = {} if formdata else {"formdata": None}
    if shelf is not None:
        kwargs.update(obj=shelf, term_id=str(shelf.term_id or ""))
    form = ShelfForm(prefix=prefix, **kwargs)
    form.term_id.choices = _term_choices(tenant_id)
    return form


def _moves(rows) -> dict[str, list[tuple[str, list[str]]]]:
    """Per shelf, its Move up / Move down buttons with the whole new order each would post."""
    order = [str(shelf.uuid) for shelf in rows]
    moves = {}
    for i, key in enumerate(order):
        moves[key] = []
        for label, j in (("Move up", i - 1), ("Move down", i + 1)):
            if 0 <= j < len(order):
                swapped = list(order)
                swapped[i], swapped[j] = swapped[j], swapped[i]
                moves[key].append((label, swapped))
    return moves


def _page(status=200, errors=None, posted=None):
    tenant_id = current_tenant().id
    rows, posted = shelf_service.shelves(tenant_id), posted or {}
    picks = [SelectChoice(pid, title) for pid, title in admin_list.catalog_choices(tenant_id)]
    forms, items = {}, {}
    for shelf in rows:
        key = str(shelf.uuid)
        forms[key] = posted.get(key) or _shelf_form(f"s{shelf.id}", tenant_id, shelf, False)
        if shelf.kind == "manual":
            picked = ShelfItemsForm(
                prefix=f"i{shelf.id}", formdata=None, items=shelf_service.item_ids(shelf.id)
            )
            picked.items.choices = picks
            items[key] = posted.get(f"items-{key}") or picked
    mode, hide_adult = storefront_settings(tenant_id)
    context = page_context(
        shelves=rows,
        moves=_moves(rows),
        forms=forms,
        items=items,
        new_shelf=posted.get("new") or _shelf_form("new", tenant_id, formdata=False),
        settings=posted.get("settings")
        or SettingsForm(formdata=None, display_mode=mode, hide_adult_content=hide_adult),
        plain=PlainForm(prefix="shelf"),
        errors=errors or {},
    )
    return render(
        "dashboard/publications/shelves.html",
        "dashboard/publications/_shelves.html",
        status,
        **context,
    )


def _run(change, message, key, form=None):
    """Commit one change and reload the page, or re-render it with the refusal (422)."""
    try:
        change()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _page(422, {key: exc.message}, {key: form} if form else None)
    return toast(hx_location(url_for("dashboard.publication_shelves")), message, "success")


def _invalid(form) -> str:
    return "; ".join(f"{form[name].label.text}: {errs[0]}" for name, errs in form.errors.items())


def _shelf(uuid):
    try:
        return shelf_service.get_shelf(current_tenant().id, uuid)
    except NotFound:
        abort(404)


@bp.route("/publications/shelves", methods=["GET", "POST"], defaults=AREA)
@admin_required
def publication_shelves(slug):
    if request.method == "GET":
        return _page()
    tenant_id = current_tenant().id
    form = _shelf_form("new", tenant_id)
    if not form.validate_on_submit():
        return _page(422, {"new": _invalid(form)}, {"new": form})
    change = partial(shelf_service.create_shelf, actor(), tenant_id, **form.values())
    return _run(change, "Shelf created.", "new", form)


@bp.post("/publications/shelves/<uuid:uuid>/edit", defaults=AREA)
@admin_required
def edit_shelf(slug, uuid):
    shelf, tenant_id = _shelf(uuid), current_tenant().id
    form, key = _shelf_form(f"s{shelf.id}", tenant_id), str(uuid)
    if not form.validate_on_submit():
        return _page(422, {key: _invalid(form)}, {key: form})
    change = partial(shelf_service.update_shelf, actor(), tenant_id, uuid, **form.values())
    return _run(change, "Shelf saved.", key, form)


@bp.post("/publications/shelves/<uuid:uuid>/items", defaults=AREA)
@admin_required
def shelf_items(slug, uuid):
    shelf, tenant_id = _shelf(uuid), current_tenant().id
    form, key = ShelfItemsForm(prefix=f"i{shelf.id}"), f"items-{uuid}"
    form.items.choices = [SelectChoice(pid, t) for pid, t in admin_list.catalog_choices(tenant_id)]
    if not form.validate_on_submit():
        return _page(422, {key: _invalid(form)}, {key: form})
    ids = list(form.items.data or [])
    change = partial(shelf_service.set_items, actor(), tenant_id, uuid, ids)
    return _run(change, "Shelf publications saved.", key, form)


@bp.post("/publications/shelves/<uuid:uuid>/delete", defaults=AREA)
@admin_required
def delete_shelf(slug, uuid):
    _shelf(uuid)
    if not PlainForm(prefix="shelf").validate_on_submit():
        return _page(422, {str(uuid): "The form expired; reload the page."})
    change = partial(shelf_service.delete_shelf, actor(), current_tenant().id, uuid)
    return _run(change, "Shelf deleted.", str(uuid))


@bp.post("/publications/shelves/order", defaults=AREA)
@admin_required
def reorder_shelves(slug):
    """The new order as a list of shelf uuids (`order`, repeated)."""
    if not PlainForm(prefix="shelf").validate_on_submit():
        return _page(422, {"order": "The form expired; reload the page."})
    order = request.form.getlist("order")
    change = partial(shelf_service.reorder, actor(), current_tenant().id, order)
    return _run(change, "Shelves reordered.", "order")


@bp.post("/publications/shelves/settings", defaults=AREA)
@admin_required
def shelf_settings(slug):
    form = SettingsForm()
    if not form.validate_on_submit():
        return _page(422, {"settings": _invalid(form)}, {"settings": form})
    values = {
        "display_mode": form.display_mode.data,
        "hide_adult_content": form.hide_adult_content.data,
    }
    change = partial(shelf_service.save_settings, actor(), current_tenant().id, **values)
    return _run(change, "Home page settings saved.", "settings", form)
