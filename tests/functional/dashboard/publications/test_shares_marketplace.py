"""Shares of an owned publication and the marketplace page (spec 70 §1.3, §6)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.models.activity import Activity
from app.models.storefront import CatalogEntry, Notification
from services.tenancy.context import tenant_scope
from tests.functional.conftest import text
from tests.functional.dashboard.publications.conftest import HTMX
from tests.support.htmx import location_path

LIVE = datetime(2024, 1, 1, tzinfo=UTC)
MARKET = "/dashboard/publications/marketplace"


def shares_url(uuid: str) -> str:
    return f"/dashboard/publications/{uuid}/shares"


def entry_source(app, tenant_id: int, publication_id: int) -> str | None:
    with app.app_context(), tenant_scope(tenant_id):
        return db.session.scalar(
            select(CatalogEntry.source).where(CatalogEntry.publication_id == publication_id)
        )


def test_shares_page_and_fragment(admin, alpha, add_publication):
    _, uuid = add_publication(alpha)
    page = admin.get(shares_url(uuid))
    assert page.status_code == 200 and "<html" in text(page)
    assert "Not shared with any store." in text(page)
    fragment = admin.get(shares_url(uuid), headers=HTMX)
    assert text(fragment).startswith('<section id="publication-shares"')


def test_share_by_slug_then_revoke(app, admin, alpha, beta, make_user, add_publication):
    make_user(tenant=beta, admin=True)
    publication_id, uuid = add_publication(alpha)
    token = admin.csrf(shares_url(uuid))
    response = admin.post(shares_url(uuid), data={"csrf_token": token, "slug": " Beta "})
    assert response.status_code == 303
    assert entry_source(app, beta.id, publication_id) == "shared"
    page = text(admin.get(shares_url(uuid)))
    assert "Beta Press" in page and "hx-confirm=" in page
    with app.app_context(), tenant_scope(beta.id):
        assert db.session.scalar(select(Notification.kind)) == "publication_shared"
    with app.app_context(), tenant_scope(alpha.id):
        share_uuid = db.session.scalar(
            select(Activity.after["share"].as_string()).where(
                Activity.action == "publication.share"
            )
        )
    revoke = f"{shares_url(uuid)}/{share_uuid}/revoke"
    revoked = admin.post(revoke, data={"revoke-csrf_token": token}, headers=HTMX)
    assert revoked.status_code == 200 and location_path(revoked) == shares_url(uuid)
    assert entry_source(app, beta.id, publication_id) is None
    assert "Not shared with any store." in text(admin.get(shares_url(uuid)))


def test_unknown_or_own_slug_is_a_form_error(admin, alpha, add_publication):
    _, uuid = add_publication(alpha)
    token = admin.csrf(shares_url(uuid))
    unknown = admin.post(shares_url(uuid), data={"csrf_token": token, "slug": "nobody"})
    assert unknown.status_code == 422
    assert "There is no store with that address name." in text(unknown)
    own = admin.post(shares_url(uuid), data={"csrf_token": token, "slug": "alpha"}, headers=HTMX)
    assert own.status_code == 422
    assert text(own).startswith('<section id="publication-shares"')
    assert "already in your catalogue" in text(own)


def test_marketplace_lists_other_stores_items_and_adds_and_removes(
    app, admin, beta, add_publication
):
    listed_id, listed = add_publication(
        beta, "Open Seas", status="ready", published_at=LIVE, marketplace_listed=True
    )
    add_publication(beta, "Private Seas", status="ready", published_at=LIVE)
    page = admin.get(MARKET)
    assert page.status_code == 200 and "<html" in text(page)
    assert "Open Seas" in text(page) and "Private Seas" not in text(page)
    assert "Beta Press" in text(page)
    fragment = admin.get(f"{MARKET}?q=open", headers=HTMX)
    assert text(fragment).startswith('<div id="marketplace-table"')
    assert "Open Seas" in text(fragment)
    assert "No marketplace publication matches." in text(admin.get(f"{MARKET}?q=zzz"))
    token = admin.csrf(MARKET)
    added = admin.post(f"{MARKET}/{listed}/add", data={"market-csrf_token": token, "q": "open"})
    assert added.status_code == 303 and added.headers["Location"] == f"{MARKET}?q=open"
    assert entry_source(app, admin_tenant_id(app), listed_id) == "marketplace"
    assert "In your catalogue" in text(admin.get(MARKET))
    assert "Open Seas" in text(admin.get("/dashboard/publications?source=marketplace"))
    removed = admin.post(f"{MARKET}/{listed}/remove", data={"market-csrf_token": token})
    assert removed.status_code == 303
    assert entry_source(app, admin_tenant_id(app), listed_id) is None


def admin_tenant_id(app) -> int:
    from app.models.tenancy import Tenant
    from tests.functional.conftest import in_platform

    with in_platform(app):
        return db.session.scalar(select(Tenant.id).where(Tenant.slug == "alpha"))


def test_adding_twice_is_refused_with_a_message(admin, beta, add_publication):
    _, listed = add_publication(
        beta, "Open Seas", status="ready", published_at=LIVE, marketplace_listed=True
    )
    token = admin.csrf(MARKET)
    assert (
        admin.post(f"{MARKET}/{listed}/add", data={"market-csrf_token": token}).status_code == 303
    )
    again = admin.post(f"{MARKET}/{listed}/add", data={"market-csrf_token": token}, headers=HTMX)
    assert again.status_code == 422
    assert "It is already in your catalogue." in text(again)
