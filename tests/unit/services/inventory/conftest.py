"""Inventory fixtures: catalogue rows written straight through the models (independent of the
catalogue-writing services), a fixed clock, and a helper to list as a tenant."""

from __future__ import annotations

import uuid as uuid_lib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.catalog import (
    Contributor,
    PublicationBisac,
)
from app.models.storefront import CatalogEntry, PublicationShare, PublicationStat
from services.inventory.options import FeatureGates
from services.inventory.search_index import reindex_publication
from services.inventory.service import InventoryService
from services.tenancy import platform_scope, tenant_scope
from tests.support import catalog_rows as rows

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
ALL_GATES = FeatureGates(search=True, search_terms=True, recommended=True)


class CatalogBuilder:
    """Writes catalogue rows for tests; returns ids, never ORM objects (scope switches
    expunge the session)."""

    def __init__(self, now: datetime = NOW):
        self.now = now
        self._contributors: dict[tuple[int, str], int] = {}

    def publication(
        self,
        tenant_id: int,
        title: str,
        *,
        days_ago: float | None = 10,
        published_at: datetime | None = None,
        draft: bool = False,
        file_type: str = "pdf",
        language: str = "en",
        status: str = "ready",
        audience: str | None = None,
        description_html: str | None = None,
        contributors: list[tuple[str, str]] = (),
        bisacs: list[str] = (),
        featured: bool = False,
        entry: bool = True,
        **flags,
    ) -> int:
        if published_at is None and not draft and days_ago is not None:
            published_at = self.now - timedelta(days=days_ago)
        with tenant_scope(tenant_id):
            publication = rows.publication(
                tenant_id,
                title,
                entry=entry,
                featured=featured,
                file_type=file_type,
                language=language,
                status=status,
                audience=audience,
                description_html=description_html,
                published_at=published_at,
                **flags,
            )
            for position, (name, role) in enumerate(contributors):
                person = self._contributor(tenant_id, name)
                rows.credit(tenant_id, publication.id, person, role, position)
            for position, code in enumerate(bisacs):
                db.session.add(
                    PublicationBisac(
                        tenant_id=tenant_id,
                        publication_id=publication.id,
                        code=code,
                        position=position,
                    )
                )
            db.session.flush()
            return publication.id

    def _contributor(self, tenant_id: int, name: str) -> int:
        key = (tenant_id, name.lower())
        if key not in self._contributors:
            self._contributors[key] = rows.contributor(tenant_id, name).id
        return self._contributors[key]

    def contributor_uuid(self, tenant_id: int, name: str) -> str:
        with tenant_scope(tenant_id):
            return str(
                db.session.scalar(
                    select(Contributor.uuid).where(
                        Contributor.id == self._contributors[(tenant_id, name.lower())]
                    )
                )
            )

    def taxonomy(self, tenant_id: int, slug: str, name: str | None = None, **fields) -> int:
        with tenant_scope(tenant_id):
            return rows.taxonomy(tenant_id, slug, name or slug.title(), **fields).id

    def term(self, tenant_id: int, taxonomy_id: int, slug: str, **fields) -> int:
        with tenant_scope(tenant_id):
            name = fields.pop("name", slug.replace("-", " ").title())
            return rows.term(tenant_id, taxonomy_id, slug, name, **fields).id

    def tag(self, tenant_id: int, publication_id: int, *term_ids: int) -> None:
        with tenant_scope(tenant_id):
            rows.tag(tenant_id, publication_id, *term_ids)

    def share(self, owner_id: int, publication_id: int, target_id: int) -> None:
        with platform_scope("tests: a share and the target's entry"):
            db.session.add(
                PublicationShare(
                    tenant_id=owner_id, publication_id=publication_id, target_tenant_id=target_id
                )
            )
            db.session.add(
                CatalogEntry(tenant_id=target_id, publication_id=publication_id, source="shared")
            )
            db.session.flush()

    def add_marketplace(self, tenant_id: int, publication_id: int) -> None:
        with platform_scope("tests: a marketplace entry"):
            db.session.add(
                CatalogEntry(
                    tenant_id=tenant_id, publication_id=publication_id, source="marketplace"
                )
            )
            db.session.flush()

    def price(self, tenant_id: int, publication_id: int, currency: str, amount: int) -> None:
        with tenant_scope(tenant_id):
            rows.price(tenant_id, publication_id, currency, amount)

    def stat(self, tenant_id: int, publication_id: int, *, sales: int = 0, reads: int = 0):
        with tenant_scope(tenant_id):
            db.session.add(
                PublicationStat(
                    tenant_id=tenant_id,
                    publication_id=publication_id,
                    sales_90d=sales,
                    reads_30d=reads,
                    refreshed_at=self.now,
                )
            )
            db.session.flush()

    def reindex(self, *publication_ids: int) -> None:
        for publication_id in publication_ids:
            reindex_publication(publication_id)
        db.session.flush()


@pytest.fixture
def catalog(ctx):
    return CatalogBuilder()


@pytest.fixture
def shop(ctx, tenant_factory):
    return tenant_factory(status="active").id


@pytest.fixture
def other_shop(ctx, tenant_factory):
    return tenant_factory(status="active").id


def listing(
    tenant_id: int,
    *,
    user_id: int | None = None,
    gates: FeatureGates = ALL_GATES,
    filters=(),
    languages=(),
    q: str | None = None,
    order: str | None = None,
    options=None,
    page: int = 1,
    per_page: int = 48,
    now: datetime = NOW,
):
    """One listing page as a request of `tenant_id` would get it."""
    with tenant_scope(tenant_id):
        service = InventoryService(
            db.session, tenant_id=tenant_id, user_id=user_id, gates=gates, now=now
        )
        service.apply_filters(filters).languages(languages).search(q).order_by(order)
        if options is not None:
            service.with_options(options)
        return service.page(page, per_page)


def titles(result) -> list[str]:
    return [card.title for card in result.items]


def random_uuid() -> str:
    return str(uuid_lib.uuid4())
