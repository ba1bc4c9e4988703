"""Look-ups filter validation needs: the tenant's taxonomy terms by slug and contributors of its
catalogue by uuid, each loaded at most once per listing."""

from __future__ import annotations

import uuid as uuid_lib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import exists, select

from app.models.catalog import (
    Contributor,
    Publication,
    PublicationContributor,
    Taxonomy,
    TaxonomyTerm,
)
from app.models.storefront import CatalogEntry
from services.catalog.scope import catalog_reads, entry_conditions


@dataclass(frozen=True)
class TermRef:
    """A term of the current tenant, as a taxonomy filter value."""

    taxonomy_id: int
    taxonomy_slug: str
    taxonomy_name: str
    max_filter_terms: int
    term_id: int
    term_slug: str
    term_name: str


@dataclass(frozen=True)
class ContributorRef:
    """A contributor credited on a publication of the current tenant's catalogue."""

    id: int
    uuid: str
    name: str


class Lookups:
    """Lazily loaded reference data of one tenant for one listing."""

    def __init__(self, session, tenant_id: int):
        self.session = session
        self.tenant_id = tenant_id
        self._terms: dict[tuple[str, str], TermRef] | None = None
        self._slugs: dict[str, str] | None = None
        self._contributors: dict[uuid_lib.UUID, ContributorRef] = {}
        self._asked: set[uuid_lib.UUID] = set()

    def _load_terms(self) -> None:
        rows = self.session.execute(
            select(Taxonomy, TaxonomyTerm)
            .outerjoin(
                TaxonomyTerm,
                (TaxonomyTerm.taxonomy_id == Taxonomy.id)
                & (TaxonomyTerm.tenant_id == self.tenant_id),
            )
            .where(Taxonomy.tenant_id == self.tenant_id)
        ).all()
        self._terms, self._slugs = {}, {}
        for taxonomy, term in rows:
            self._slugs[taxonomy.slug] = taxonomy.name
            if term is not None:
                self._terms[(taxonomy.slug, term.slug)] = TermRef(
                    taxonomy.id,
                    taxonomy.slug,
                    taxonomy.name,
                    taxonomy.max_filter_terms,
                    term.id,
                    term.slug,
                    term.name,
                )

    def taxonomy_slugs(self) -> dict[str, str]:
        """slug -> name of the tenant's taxonomies."""
        if self._slugs is None:
            self._load_terms()
        return self._slugs or {}

    def term(self, taxonomy_slug: str, term_slug: str) -> TermRef | None:
        if self._terms is None:
            self._load_terms()
        return (self._terms or {}).get((taxonomy_slug, term_slug))

    def prime_contributors(self, keys: Iterable[uuid_lib.UUID]) -> None:
        """Load every contributor of `keys` in one query (contributors belong to the owners of
        the publications, so this reads across tenants, bound to this tenant's catalogue)."""
        wanted = set(keys) - self._asked
        if not wanted:
            return
        self._asked |= wanted
        in_catalogue = exists(
            select(PublicationContributor.publication_id)
            .join(Publication, Publication.id == PublicationContributor.publication_id)
            .join(CatalogEntry, CatalogEntry.publication_id == Publication.id)
            .where(
                PublicationContributor.contributor_id == Contributor.id,
                *entry_conditions(self.tenant_id, live_only=False),
            )
        )
        query = select(Contributor.id, Contributor.uuid, Contributor.name).where(
            Contributor.uuid.in_(sorted(wanted, key=str)), in_catalogue
        )
        with catalog_reads("inventory: contributors of a tenant's catalogue"):
            rows = self.session.execute(query).all()
        for row in rows:
            self._contributors[row.uuid] = ContributorRef(row.id, str(row.uuid), row.name)

    def contributor(self, key: uuid_lib.UUID) -> ContributorRef | None:
        self.prime_contributors([key])
        return self._contributors.get(key)
