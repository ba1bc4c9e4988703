"""Demo catalogue for `seed-demo`: taxonomies, 64 generated publications per tenant with
contributors, BISAC codes, terms and prices, storefront shelves, and one share and one
marketplace listing between the demo tenants, all written through the catalogue services."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models.catalog import Publication
from app.models.gateways import Currency
from app.models.tenancy import Tenant
from services.activity import Actor
from services.catalog import bisac, contributors, prices, publications, shares, taxonomies, terms
from services.seed_catalog_data import TAXONOMIES, DemoPublication, generate
from services.storefront import admin as shelves
from services.tenancy.context import tenant_scope

# (title, kind, term "taxonomy:term" or filter query)
SHELVES = (
    ("New this month", "filter", "latest_issues=latest_issues"),
    ("Fiction", "term", "category:fiction"),
    ("Free to read", "filter", "free_issues=free_issues"),
    ("Essentials", "term", "collection:essentials"),
    ("Cooking", "term", "category:cooking"),
    ("Audiobooks", "filter", "file_type=audio"),
)
SHARED_COUNT = 2  # demo lends acme two titles
LISTED_COUNT = 3  # demo offers three titles to the marketplace; acme adds one


def _taxonomies(actor: Actor, tenant_id: int) -> dict[str, int]:
    """Create the demo taxonomies; returns "taxonomy:term" -> term id."""
    ids = {}
    for slug, name, is_collection, max_terms, term_specs in TAXONOMIES:
        taxonomy = taxonomies.create_taxonomy(
            actor,
            tenant_id,
            name=name,
            slug=slug,
            is_collection=is_collection,
            max_filter_terms=max_terms,
        )
        for term_slug, term_name, restricted in term_specs:
            term = terms.create_term(
                actor, tenant_id, taxonomy.uuid, name=term_name, slug=term_slug
            )
            if restricted:
                terms.update_term(actor, tenant_id, term.uuid, restricted=True)
            ids[f"{slug}:{term_slug}"] = term.id
    return ids


def _publication(
    actor: Actor, tenant: Tenant, item: DemoPublication, term_ids: dict, exponent: int
) -> Publication:
    publication = publications.create_publication(
        actor,
        tenant.id,
        title=item.title,
        file_type=item.file_type,
        language=item.language,
        audience=item.audience,
        description_html=item.description_html,
        published_at=item.published_at,
        is_free=item.is_free,
        is_physical=item.is_physical,
        page_count=item.page_count,
        # Ready as if processed: the processing pipeline (a later issue) will generate files.
        status="ready",
    )
    publication.duration_seconds = item.duration_seconds
    contributors.set_contributors(actor, tenant.id, publication, item.credits)
    bisac.set_bisacs(tenant.id, publication, item.bisacs, actor=actor)
    terms.set_terms(actor, tenant.id, publication.id, [term_ids[f"{t}:{v}"] for t, v in item.terms])
    if not item.is_free:
        amount = item.price_major * 10**exponent
        prices.set_prices(actor, tenant.id, publication.id, {tenant.default_currency: amount})
    return publication


def _shelves(actor: Actor, tenant_id: int, term_ids: dict) -> None:
    for title, kind, value in SHELVES:
        values = {"title": title, "kind": kind, "style": "carousel", "max_items": 12}
        if kind == "term":
            values["term_id"] = term_ids[value]
        else:
            values["filter_query"] = value
        shelves.create_shelf(actor, tenant_id, **values)


def seed_tenant(actor: Actor, tenant_id: int) -> bool:
    """The demo catalogue of one tenant, unless it already has publications."""
    tenant = db.session.get(Tenant, tenant_id)
    with tenant_scope(tenant_id):
        if db.session.scalar(select(func.count(Publication.id))):
            return False
        exponent = db.session.get(Currency, tenant.default_currency).exponent
        term_ids = _taxonomies(actor, tenant_id)
        for item in generate(tenant.slug):
            _publication(actor, tenant, item, term_ids, exponent)
        _shelves(actor, tenant_id, term_ids)
    return True


def _newest_live(skip: int, count: int) -> list[Publication]:
    """Published, priced publications of the current tenant, newest first."""
    query = (
        select(Publication)
        .where(Publication.published_at.is_not(None), Publication.is_free.is_(False))
        .order_by(Publication.published_at.desc(), Publication.id)
        .offset(skip)
        .limit(count)
    )
    return list(db.session.scalars(query))


def link_tenants(actor: Actor, owner: Tenant, target: Tenant) -> None:
    """The owner shares two titles with the target and lists three on the marketplace, of
    which the target adds one (only on the first seeding: the catalogues were just made)."""
    with tenant_scope(owner.id):
        for publication in _newest_live(2, SHARED_COUNT):
            shares.share(actor, owner.id, publication, target.slug)
        listed = _newest_live(2 + SHARED_COUNT, LISTED_COUNT)
        listed_uuids = [publication.uuid for publication in listed]
        for publication in listed:
            publications.update_publication(actor, owner.id, publication, marketplace_listed=True)
    with tenant_scope(target.id):
        shares.add_from_marketplace(actor, target.id, listed_uuids[0])
