"""Platform pages for a tenant's domains and its cache panel (spec 10 §10.5, §11)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.activity import Activity
from app.models.tenancy import Domain, Tenant
from tests.functional.conftest import element, host_of, text

HTMX = {"HX-Request": "true"}


@pytest.fixture
def alpha(make_tenant):
    return make_tenant(slug="alpha", name="Alpha Books")


def domains_url(tenant, op: str | None = None) -> str:
    return f"/platform/tenants/{tenant.uuid}/domains" + (f"?op={op}" if op else "")


def change(staff, tenant, op: str, host: str, headers=HTMX):
    token = staff.csrf(f"/platform/tenants/{tenant.uuid}")
    return staff.post(
        domains_url(tenant, op), data={"csrf_token": token, "host": host}, headers=headers
    )


def hosts(app, tenant) -> dict[str, tuple[str, bool]]:
    with app.app_context():
        rows = db.session.scalars(select(Domain).where(Domain.tenant_id == tenant.id))
        return {d.host: (d.kind, d.is_primary) for d in rows}


def version(app, tenant) -> int:
    with app.app_context():
        return db.session.get(Tenant, tenant.id).version


def cache_versions(staff, tenant) -> tuple[str, str]:
    html = text(staff.get(f"/platform/tenants/{tenant.uuid}/cache", headers=HTMX))
    return element(html, "cache-db-version"), element(html, "cache-l2-version")


def test_domains_page_and_fragment(staff, alpha):
    page = staff.get(domains_url(alpha))
    fragment = staff.get(domains_url(alpha), headers=HTMX)
    assert page.status_code == fragment.status_code == 200
    assert "<html" in text(page) and "<html" not in text(fragment)
    assert 'id="domains-panel"' in text(fragment) and "alpha.localhost" in text(fragment)


def test_add_a_custom_domain(staff, app, alpha, host_client):
    response = change(staff, alpha, "add", " Shop.Example.COM. ")
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "tenancy-cache-changed"
    assert "shop.example.com" in text(response)
    assert hosts(app, alpha)["shop.example.com"] == ("custom", False)
    redirect = host_client("shop.example.com").get("/")  # resolves at once, to the primary
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == "http://alpha.localhost/"


def test_add_without_htmx_renders_the_full_page(staff, app, alpha):
    response = change(staff, alpha, "add", "shop.example.com", headers=None)
    assert response.status_code == 200
    assert "<html" in text(response) and "shop.example.com" in text(response)


def test_add_writes_an_activity_row_by_the_staff_member(staff, staff_user, app, alpha):
    change(staff, alpha, "add", "shop.example.com")
    with app.app_context():
        entry = db.session.scalar(select(Activity).where(Activity.action == "domain.added"))
    assert (entry.actor_id, entry.tenant_id, entry.subject_id) == (
        staff_user.id,
        alpha.id,
        "shop.example.com",
    )


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("shop.localhost", "own domain cannot be added"),
        ("app.localhost", "own domain cannot be added"),
        ("localhost", "own domain cannot be added"),
        ("bad_host.example.com", "Enter a valid host name"),
        ("10.0.0.1", "Enter a valid host name"),
        ("", "Enter a host."),
    ],
)
def test_refused_hosts(staff, app, alpha, host, message):
    response = change(staff, alpha, "add", host)
    assert response.status_code == 422
    assert message in text(response)
    assert list(hosts(app, alpha)) == ["alpha.localhost"]


def test_host_of_another_tenant_is_refused(staff, app, alpha, make_tenant, add_domain):
    beta = make_tenant(slug="beta")
    add_domain(beta, "shop.example.com")
    response = change(staff, alpha, "add", "shop.example.com")
    assert response.status_code == 422
    assert "already in use" in text(response)
    assert change(staff, alpha, "add", host_of(beta)).status_code == 422
    assert list(hosts(app, alpha)) == ["alpha.localhost"]


def test_twenty_first_domain_is_refused(staff, app, alpha, add_domain):
    for n in range(19):
        add_domain(alpha, f"shop{n}.example.com")
    response = change(staff, alpha, "add", "one-too-many.example.com")
    assert response.status_code == 422
    assert "at most 20 domains" in text(response)
    assert len(hosts(app, alpha)) == 20


def test_make_primary_leaves_exactly_one(staff, app, alpha, add_domain, host_client):
    add_domain(alpha, "shop.example.com")
    add_domain(alpha, "books.example.com")
    assert change(staff, alpha, "primary", "shop.example.com").status_code == 200
    assert change(staff, alpha, "primary", "books.example.com").status_code == 200
    primaries = [host for host, (_, primary) in hosts(app, alpha).items() if primary]
    assert primaries == ["books.example.com"]
    redirect = host_client(host_of(alpha)).get("/")
    assert redirect.headers["Location"] == "http://books.example.com/"


def test_the_subdomain_cannot_be_removed(staff, app, alpha, add_domain):
    add_domain(alpha, "shop.example.com", primary=True)
    response = change(staff, alpha, "remove", host_of(alpha))
    assert response.status_code == 422
    assert "subdomain cannot be removed" in text(response)
    assert host_of(alpha) in hosts(app, alpha)


def test_the_primary_cannot_be_removed(staff, app, alpha, add_domain):
    add_domain(alpha, "shop.example.com", primary=True)
    response = change(staff, alpha, "remove", "shop.example.com")
    assert response.status_code == 422
    assert "Make another domain primary" in text(response)
    assert "shop.example.com" in hosts(app, alpha)


def test_remove_a_custom_domain_and_it_stops_answering(staff, app, alpha, add_domain, host_client):
    add_domain(alpha, "shop.example.com")
    assert host_client("shop.example.com").get("/").status_code == 301  # cached now
    response = change(staff, alpha, "remove", "shop.example.com")
    assert response.status_code == 200
    assert "shop.example.com" not in hosts(app, alpha)
    gone = host_client("shop.example.com").get("/")
    assert gone.status_code == 404 and "Alpha" not in text(gone)


def test_another_tenants_domain_cannot_be_changed_here(staff, app, alpha, make_tenant, add_domain):
    beta = make_tenant(slug="beta")
    add_domain(beta, "shop.example.com")
    assert change(staff, alpha, "primary", "shop.example.com").status_code == 404
    assert change(staff, alpha, "remove", "shop.example.com").status_code == 404
    assert hosts(app, beta)["shop.example.com"] == ("custom", False)


# -- the cache panel -------------------------------------------------------------------------


def test_cache_panel_shows_db_and_l2_version_after_a_domain_change(staff, app, alpha):
    assert change(staff, alpha, "add", "shop.example.com").status_code == 200
    expected = version(app, alpha)
    assert expected > 1
    db_version, l2 = cache_versions(staff, alpha)
    assert db_version == str(expected)
    assert l2.startswith(f"version {expected},")
    assert change(staff, alpha, "primary", "shop.example.com").status_code == 200
    db_version, l2 = cache_versions(staff, alpha)
    assert db_version == str(expected + 1)
    assert l2.startswith(f"version {expected + 1},")


def test_cache_panel_fragment_and_page(staff, alpha):
    fragment = text(staff.get(f"/platform/tenants/{alpha.uuid}/cache", headers=HTMX))
    page = text(staff.get(f"/platform/tenants/{alpha.uuid}/cache"))
    assert fragment.startswith('<div id="cache-panel"') and "<html" not in fragment
    assert "<html" in page and 'id="cache-panel"' in page


def test_purge_cache_writes_an_activity_row(staff, staff_user, app, alpha):
    token = staff.csrf(f"/platform/tenants/{alpha.uuid}")
    url = f"/platform/tenants/{alpha.uuid}/cache"
    response = staff.post(url, data={"csrf_token": token}, headers=HTMX)
    assert response.status_code == 200
    assert re.match(r'<div id="cache-panel"', text(response))
    with app.app_context():
        entry = db.session.scalar(select(Activity).where(Activity.action == "tenant.cache_purged"))
    assert entry is not None
    assert (entry.actor_id, entry.tenant_id) == (staff_user.id, alpha.id)
