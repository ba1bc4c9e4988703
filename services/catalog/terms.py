"""A tenant's taxonomy terms and the terms it puts on publications of its catalogue, owned,
shared or from the marketplace; each tenant sees only its own tags (spec 70 §1.2)."""

from __future__ import annotations

from sqlalchemy import delete, select

from app.extensions import db
from app.models.catalog import PublicationTerm, TaxonomyTerm
from app.models.storefront import CatalogEntry
from services import activity
from services.activity import Actor
from services.catalog import taxonomy_rules as rules
from services.catalog import versions
from services.catalog.entries import reindex_after_commit
from services.catalog.sanitize import clean_line
from services.errors import NotFound, ValidationError
from services.rows import insert_or_conflict

TERM_FIELDS = ("name", "slug", "restricted", "position")


def create_term(
    actor: Actor,
    tenant_id: int,
    taxonomy_uuid,
    *,
    name: str,
    slug: str | None = None,
    restricted: bool = False,
    position: int | None = None,
) -> TaxonomyTerm:
    taxonomy = rules.get_taxonomy(tenant_id, taxonomy_uuid)
    clean_name = clean_line(name, field="name", max_length=120)
    term = TaxonomyTerm(
        tenant_id=tenant_id,
        taxonomy_id=taxonomy.id,
        name=clean_name,
        slug=rules.term_slug(slug, clean_name),
        restricted=bool(restricted),
        position=position
        if position is not None
        else rules.next_position(TaxonomyTerm.position, TaxonomyTerm.taxonomy_id == taxonomy.id),
    )
    insert_or_conflict(term, message="Another term of this taxonomy has that slug.", field="slug")
    activity.record(
        actor,
        "taxonomy_term.create",
        "taxonomy_term",
        term.uuid,
        tenant_id=tenant_id,
        after={"taxonomy": taxonomy.slug, "name": term.name, "slug": term.slug},
    )
    versions.bump_catalog_after_commit(tenant_id)
    return term


def update_term(actor: Actor, tenant_id: int, term_uuid, **changes) -> TaxonomyTerm:
    term = rules.get_term(tenant_id, term_uuid)
    unknown = set(changes) - set(TERM_FIELDS)
    if unknown:
        raise TypeError(f"not term fields: {sorted(unknown)}")
    values = dict(changes)
    if "name" in values:
        values["name"] = clean_line(values["name"], field="name", max_length=120)
    if "slug" in values:
        values["slug"] = rules.term_slug(values["slug"], values.get("name", term.name))
    if "restricted" in values:
        values["restricted"] = bool(values["restricted"])
    if "position" in values:
        values["position"] = int(values["position"])
    before = {name: getattr(term, name) for name in TERM_FIELDS}
    for name, value in values.items():
        setattr(term, name, value)
    old, new = activity.diff(before, {name: getattr(term, name) for name in TERM_FIELDS})
    if not new:
        return term
    insert_or_conflict(term, message="Another term of this taxonomy has that slug.", field="slug")
    activity.record(
        actor,
        "taxonomy_term.update",
        "taxonomy_term",
        term.uuid,
        tenant_id=tenant_id,
        before=old,
        after=new,
    )
    if "name" in new:
        rules.reindex_tagged(tenant_id, [term.id])
    versions.bump_catalog_after_commit(tenant_id)
    return term


def delete_term(actor: Actor, tenant_id: int, term_uuid) -> None:
    term = rules.get_term(tenant_id, term_uuid)
    rules.reindex_tagged(tenant_id, [term.id])
    activity.record(
        actor,
        "taxonomy_term.delete",
        "taxonomy_term",
        term.uuid,
        tenant_id=tenant_id,
        before={"name": term.name, "slug": term.slug},
    )
    # Through the parent's collection, so a loaded taxonomy does not keep the deleted term.
    term.taxonomy.terms.remove(term)
    db.session.flush()
    versions.bump_catalog_after_commit(tenant_id)


def terms_of(tenant_id: int, publication_id: int) -> list[int]:
    """The ids of this tenant's terms on the publication."""
    return list(
        db.session.scalars(
            select(PublicationTerm.term_id)
            .where(
                PublicationTerm.tenant_id == tenant_id,
                PublicationTerm.publication_id == publication_id,
            )
            .order_by(PublicationTerm.term_id)
        )
    )


def set_terms(actor: Actor, tenant_id: int, publication_id: int, term_ids: list[int]) -> None:
    """Make the tenant's own terms on a publication of its catalogue (owned, shared or from
    the marketplace) exactly `term_ids`; another tenant's term is refused."""
    in_catalogue = db.session.scalar(
        select(CatalogEntry.id).where(
            CatalogEntry.tenant_id == tenant_id, CatalogEntry.publication_id == publication_id
        )
    )
    if in_catalogue is None:
        raise NotFound("No such publication in your catalogue.")
    wanted = sorted({int(t) for t in term_ids})
    known = set(
        db.session.scalars(
            select(TaxonomyTerm.id).where(
                TaxonomyTerm.tenant_id == tenant_id, TaxonomyTerm.id.in_(wanted)
            )
        )
    )
    if known != set(wanted):
        raise ValidationError("Choose terms from your own taxonomies.", field="terms")
    current = terms_of(tenant_id, publication_id)
    if current == wanted:
        return
    db.session.execute(
        delete(PublicationTerm)
        .where(
            PublicationTerm.tenant_id == tenant_id,
            PublicationTerm.publication_id == publication_id,
            PublicationTerm.term_id.not_in(wanted),
        )
        .execution_options(synchronize_session=False)
    )
    for term_id in set(wanted) - set(current):
        db.session.add(
            PublicationTerm(tenant_id=tenant_id, publication_id=publication_id, term_id=term_id)
        )
    db.session.flush()
    activity.record(
        actor,
        "publication.terms",
        "publication",
        publication_id,
        tenant_id=tenant_id,
        before={"terms": current},
        after={"terms": wanted},
    )
    versions.bump_catalog_after_commit(tenant_id)
    reindex_after_commit(publication_id, tenant_id)
