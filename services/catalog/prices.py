"""A selling tenant's prices for publications in its catalogue, in minor units of its enabled
currencies (spec 70 §1.2): owned, shared and marketplace items alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Publication, PublicationPrice
from app.models.storefront import CatalogEntry
from services import activity
from services.activity import Actor
from services.catalog import versions
from services.catalog.scope import catalog_reads
from services.currencies import tenant_currencies
from services.errors import NotFound, ValidationError
from services.tenancy.scoping import SKIP_OPTION

MAX_AMOUNT_MINOR = 10**12  # far above any real price; keeps typos out of bigint arithmetic


def _in_catalogue(tenant_id: int, publication_id: int) -> Publication:
    """The publication when the tenant's catalogue holds it (any source, enabled or not)."""
    query = (
        select(Publication)
        .join(CatalogEntry, CatalogEntry.publication_id == Publication.id)
        .where(
            CatalogEntry.tenant_id == tenant_id,
            Publication.id == publication_id,
            Publication.deleted_at.is_(None),
        )
    )
    with catalog_reads("catalog: the publication a tenant prices"):
        publication = db.session.scalar(query)
    if publication is None:
        raise NotFound("No such publication in your catalogue.")
    return publication


def _clean_amounts(tenant_id: int, amounts: Mapping[str, int | None]) -> dict[str, int]:
    allowed = set(tenant_currencies(tenant_id))
    cleaned: dict[str, int] = {}
    for raw_code, amount in amounts.items():
        code = str(raw_code or "").strip().upper()
        field = f"price_{code.lower()}"
        if code not in allowed:
            raise ValidationError(f"{code or 'That currency'} is not enabled.", field=field)
        if amount is None:
            continue
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValidationError("Enter an amount.", field=field)
        if not 0 < amount <= MAX_AMOUNT_MINOR:
            raise ValidationError("A price must be more than zero.", field=field)
        cleaned[code] = amount
    return cleaned


def set_prices(
    actor: Actor, tenant_id: int, publication_id: int, amounts: Mapping[str, int | None]
) -> None:
    """Make the tenant's prices for the publication exactly `amounts` (minor units); a
    currency given None or left out has no price. A free publication takes no price."""
    publication = _in_catalogue(tenant_id, publication_id)
    cleaned = _clean_amounts(tenant_id, amounts)
    if cleaned and publication.is_free:
        raise ValidationError("A free publication has no prices.", field="is_free")
    rows = {
        row.currency: row
        for row in db.session.scalars(
            select(PublicationPrice).where(
                PublicationPrice.tenant_id == tenant_id,
                PublicationPrice.publication_id == publication_id,
            )
        )
    }
    before = {code: row.amount_minor for code, row in rows.items()}
    for code, row in rows.items():
        if code not in cleaned:
            db.session.delete(row)
    for code, amount in cleaned.items():
        if code in rows:
            rows[code].amount_minor = amount
        else:
            db.session.add(
                PublicationPrice(
                    tenant_id=tenant_id,
                    publication_id=publication_id,
                    currency=code,
                    amount_minor=amount,
                )
            )
    if before == cleaned:
        return
    db.session.flush()
    activity.record(
        actor,
        "publication.prices",
        "publication",
        publication.uuid,
        tenant_id=tenant_id,
        before={"prices": before},
        after={"prices": cleaned},
    )
    versions.bump_catalog_after_commit(tenant_id)


def prices_for(tenant_id: int, publication_ids: Iterable[int]) -> dict[int, list[tuple[str, int]]]:
    """The tenant's prices per publication id, by currency code; ids without prices are absent.
    Names its tenant and skips the automatic scope (it also runs inside catalogue reads)."""
    ids = list(publication_ids)
    if not ids:
        return {}
    query = (
        select(
            PublicationPrice.publication_id,
            PublicationPrice.currency,
            PublicationPrice.amount_minor,
        )
        .where(PublicationPrice.tenant_id == tenant_id, PublicationPrice.publication_id.in_(ids))
        .order_by(PublicationPrice.publication_id, PublicationPrice.currency)
        .execution_options(**{SKIP_OPTION: True})
    )
    found: dict[int, list[tuple[str, int]]] = {}
    for publication_id, currency, amount in db.session.execute(query):
        found.setdefault(publication_id, []).append((currency, amount))
    return found
