"""The store home page as its admins arrange it: shelves (by term, by stored filter, or
hand-picked), their order, and the display mode (spec 70 §4.3, §6). Every change records an
activity row and bumps the catalogue version after commit, so `/` shows it on the next request."""

from __future__ import annotations

import uuid as uuid_lib
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select

from app.extensions import db
from app.models.base import utcnow
from app.models.catalog import TaxonomyTerm
from app.models.storefront import (
    DISPLAY_MODES,
    SHELF_KINDS,
    SHELF_STYLES,
    CatalogEntry,
    StorefrontSettings,
    StorefrontShelf,
    StorefrontShelfItem,
)
from services import activity
from services.activity import Actor
from services.catalog import versions
from services.catalog.sanitize import clean_line
from services.errors import NotFound, ValidationError

SHELF_FIELDS = ("title", "kind", "term_id", "filter_query", "style", "max_items", "enabled")
MAX_MANUAL_ITEMS = 48


def shelves(tenant_id: int) -> list[StorefrontShelf]:
    query = (
        select(StorefrontShelf)
        .where(StorefrontShelf.tenant_id == tenant_id)
        .order_by(StorefrontShelf.position, StorefrontShelf.id)
    )
    return list(db.session.scalars(query))


def get_shelf(tenant_id: int, key) -> StorefrontShelf:
    try:
        value = key if isinstance(key, uuid_lib.UUID) else uuid_lib.UUID(str(key))
    except ValueError:
        raise NotFound("No such shelf.") from None
    shelf = db.session.scalar(
        select(StorefrontShelf).where(
            StorefrontShelf.tenant_id == tenant_id, StorefrontShelf.uuid == value
        )
    )
    if shelf is None:
        raise NotFound("No such shelf.")
    return shelf


def filter_query(raw) -> str | None:
    """A `/library/filter` link or its query string, stored as the query string alone."""
    text = str(raw or "").strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.query or parts.path.endswith("/library/filter"):
        text = parts.query
    text = text.lstrip("?")
    if not text or len(text) > 1000:
        raise ValidationError(
            "Paste a /library/filter link or its query (up to 1000 characters).",
            field="filter_query",
        )
    return text


def _clean(tenant_id: int, values: dict) -> dict:
    kind = values.get("kind")
    if kind not in SHELF_KINDS:
        raise ValidationError("Choose what the shelf shows.", field="kind")
    if values.get("style") not in SHELF_STYLES:
        raise ValidationError("Choose a style.", field="style")
    try:
        max_items = int(values.get("max_items"))
    except (TypeError, ValueError):
        max_items = 0
    if not 1 <= max_items <= 48:
        raise ValidationError("Show between 1 and 48 publications.", field="max_items")
    term_id = values.get("term_id") if kind == "term" else None
    if kind == "term":
        exists = term_id and db.session.scalar(
            select(TaxonomyTerm.id).where(
                TaxonomyTerm.tenant_id == tenant_id, TaxonomyTerm.id == int(term_id)
            )
        )
        if not exists:
            raise ValidationError("Choose one of your terms.", field="term_id")
    query = filter_query(values.get("filter_query")) if kind == "filter" else None
    if kind == "filter" and query is None:
        raise ValidationError("A filter shelf needs its filter link.", field="filter_query")
    return {
        "title": clean_line(values.get("title"), field="title", max_length=120),
        "kind": kind,
        "term_id": int(term_id) if term_id else None,
        "filter_query": query,
        "style": values["style"],
        "max_items": max_items,
        "enabled": bool(values.get("enabled", True)),
    }


def _state(shelf: StorefrontShelf) -> dict:
    return {name: getattr(shelf, name) for name in SHELF_FIELDS}


def _record(actor: Actor, action: str, shelf, tenant_id: int, **diff) -> None:
    activity.record(actor, action, "storefront_shelf", shelf.uuid, tenant_id=tenant_id, **diff)
    versions.bump_catalog_after_commit(tenant_id)


def create_shelf(actor: Actor, tenant_id: int, **values) -> StorefrontShelf:
    cleaned = _clean(tenant_id, values)
    last = db.session.scalar(
        select(func.max(StorefrontShelf.position)).where(StorefrontShelf.tenant_id == tenant_id)
    )
    shelf = StorefrontShelf(tenant_id=tenant_id, position=(last or 0) + 1, **cleaned)
    db.session.add(shelf)
    db.session.flush()
    _record(actor, "storefront_shelf.create", shelf, tenant_id, after=_state(shelf))
    return shelf


def update_shelf(actor: Actor, tenant_id: int, shelf_uuid, **values) -> StorefrontShelf:
    shelf = get_shelf(tenant_id, shelf_uuid)
    cleaned = _clean(tenant_id, values)
    before = _state(shelf)
    for name, value in cleaned.items():
        setattr(shelf, name, value)
    old, new = activity.diff(before, _state(shelf))
    if new:
        if shelf.kind != "manual":
            _drop_items(shelf.id)
        db.session.flush()
        _record(actor, "storefront_shelf.update", shelf, tenant_id, before=old, after=new)
    return shelf


def _drop_items(shelf_id: int) -> None:
    db.session.execute(
        delete(StorefrontShelfItem)
        .where(StorefrontShelfItem.shelf_id == shelf_id)
        .execution_options(synchronize_session=False)
    )


def delete_shelf(actor: Actor, tenant_id: int, shelf_uuid) -> None:
    shelf = get_shelf(tenant_id, shelf_uuid)
    before = _state(shelf)
    _drop_items(shelf.id)
    db.session.delete(shelf)
    db.session.flush()
    _record(actor, "storefront_shelf.delete", shelf, tenant_id, before=before)


def reorder(actor: Actor, tenant_id: int, shelf_uuids: list[str]) -> None:
    """Positions follow `shelf_uuids`; shelves it leaves out keep their order after them."""
    current = shelves(tenant_id)
    by_uuid = {str(shelf.uuid): shelf for shelf in current}
    wanted = [by_uuid[u] for u in dict.fromkeys(str(u) for u in shelf_uuids) if u in by_uuid]
    ordered = wanted + [shelf for shelf in current if shelf not in wanted]
    before = [str(shelf.uuid) for shelf in current]
    for position, shelf in enumerate(ordered, start=1):
        shelf.position = position
    after = [str(shelf.uuid) for shelf in ordered]
    if before == after:
        return
    db.session.flush()
    activity.record(
        actor,
        "storefront_shelf.reorder",
        "storefront",
        tenant_id,
        tenant_id=tenant_id,
        before={"order": before},
        after={"order": after},
    )
    versions.bump_catalog_after_commit(tenant_id)


def item_ids(shelf_id: int) -> list[int]:
    query = (
        select(StorefrontShelfItem.publication_id)
        .where(StorefrontShelfItem.shelf_id == shelf_id)
        .order_by(StorefrontShelfItem.position)
    )
    return list(db.session.scalars(query))


def set_items(actor: Actor, tenant_id: int, shelf_uuid, publication_ids: list[int]) -> None:
    """A manual shelf's publications, in order; each must be in this store's catalogue."""
    shelf = get_shelf(tenant_id, shelf_uuid)
    if shelf.kind != "manual":
        raise ValidationError("Only a hand-picked shelf takes publications.", field="items")
    ids = list(dict.fromkeys(int(i) for i in publication_ids))
    if len(ids) > MAX_MANUAL_ITEMS:
        raise ValidationError(f"At most {MAX_MANUAL_ITEMS} publications.", field="items")
    held = set(
        db.session.scalars(
            select(CatalogEntry.publication_id).where(
                CatalogEntry.tenant_id == tenant_id, CatalogEntry.publication_id.in_(ids)
            )
        )
    )
    if len(held) != len(ids):
        raise ValidationError("Choose publications of your catalogue.", field="items")
    before = item_ids(shelf.id)
    if before == ids:
        return
    _drop_items(shelf.id)
    for position, publication_id in enumerate(ids):
        db.session.add(
            StorefrontShelfItem(
                tenant_id=tenant_id,
                shelf_id=shelf.id,
                publication_id=publication_id,
                position=position,
            )
        )
    db.session.flush()
    _record(
        actor,
        "storefront_shelf.items",
        shelf,
        tenant_id,
        before={"items": before},
        after={"items": ids},
    )


def save_settings(
    actor: Actor, tenant_id: int, *, display_mode: str, hide_adult_content: bool
) -> StorefrontSettings:
    if display_mode not in DISPLAY_MODES:
        raise ValidationError("Choose a display mode.", field="display_mode")
    row = db.session.get(StorefrontSettings, tenant_id)
    if row is None:
        row = StorefrontSettings(tenant_id=tenant_id, display_mode="custom")
        row.hide_adult_content = False
        db.session.add(row)
    before = {"display_mode": row.display_mode, "hide_adult_content": row.hide_adult_content}
    row.display_mode, row.hide_adult_content = display_mode, bool(hide_adult_content)
    after = {"display_mode": row.display_mode, "hide_adult_content": row.hide_adult_content}
    old, new = activity.diff(before, after)
    if new:
        row.updated_at = utcnow()
        db.session.flush()
        activity.record(
            actor,
            "storefront.settings",
            "storefront",
            tenant_id,
            tenant_id=tenant_id,
            before=old,
            after=new,
        )
        versions.bump_catalog_after_commit(tenant_id)
    return row
