"""Platform tenant pages: access, the list with search, filters and pages, and creation (§11)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql

from app.extensions import db
from app.models.tenancy import Tenant
from services.features import definitions, grants
from tests.factories import ACTOR
from tests.functional.conftest import PLATFORM_HOST, in_platform, text


def tenant_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Tenant))


def new_tenant(staff, headers=None, **fields):
    data = {
        "csrf_token": staff.csrf("/platform/tenants/new"),
        "name": "New Co",
        "slug": "newco",
        "status": "trial",
        "trial_days": "14",
        "timezone": "UTC",
        "locale": "en",
        "default_currency": "USD",
        **fields,
    }
    return staff.post("/platform/tenants/new", data=data, headers=headers)


def listed_slugs(html: str) -> list[str]:
    return re.findall(r"</a></td>\s*<td>([a-z0-9-]+)</td>", html)


# -- access ----------------------------------------------------------------------------------


def test_staff_login_lands_on_the_tenants_list(staff):
    response = staff.get("/platform/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/platform/tenants"
    assert staff.get("/platform/tenants").status_code == 200


@pytest.mark.parametrize("path", ["/platform/", "/platform/tenants", "/platform/activity"])
def test_anonymous_is_sent_to_platform_login(host_client, path):
    response = host_client(PLATFORM_HOST).get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/platform/login?next={path}"


def test_anonymous_htmx_is_401_with_hx_redirect(host_client):
    headers = {"HX-Request": "true"}
    response = host_client(PLATFORM_HOST).get("/platform/tenants", headers=headers)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/platform/login?next=/platform/tenants"


def test_staff_logout_post_signs_out(staff):
    response = staff.post("/platform/logout", data={"csrf_token": staff.csrf("/platform/logout")})
    assert response.status_code == 303
    assert staff.get("/platform/tenants").status_code == 302


# -- the list --------------------------------------------------------------------------------


def test_list_page_and_fragment(staff, make_tenant):
    make_tenant(slug="alpha", name="Alpha Books")
    page = staff.get("/platform/tenants")
    fragment = staff.get("/platform/tenants", headers={"HX-Request": "true"})
    for response in (page, fragment):
        assert response.status_code == 200
        assert "HX-Request" in response.headers["Vary"]
        assert 'id="tenant-rows"' in text(response)
        assert "Alpha Books" in text(response) and "alpha.localhost" in text(response)
    assert "<html" in text(page) and "<html" not in text(fragment)


def test_boosted_request_gets_the_whole_page(staff):
    headers = {"HX-Request": "true", "HX-Boosted": "true"}
    assert "<html" in text(staff.get("/platform/tenants", headers=headers))


@pytest.mark.parametrize(
    ("query", "expected"),
    [("q=alp", ["alpha"]), ("q=books.example", ["beta"]), ("q=ALPHA+BOOKS", ["alpha"])],
    ids=["slug", "host", "name"],
)
def test_search(staff, make_tenant, add_domain, query, expected):
    make_tenant(slug="alpha", name="Alpha Books")
    add_domain(make_tenant(slug="beta", name="Beta Press"), "books.example.com")
    response = staff.get(f"/platform/tenants?{query}", headers={"HX-Request": "true"})
    assert listed_slugs(text(response)) == expected


@pytest.mark.parametrize("status", ["active", "trial", "suspended"])
def test_filter_by_status(staff, make_tenant, status):
    make_tenant(slug="on-air")
    make_tenant(slug="trying", trial=True)
    make_tenant(slug="frozen", suspended=True)
    expected = {"active": ["on-air"], "trial": ["trying"], "suspended": ["frozen"]}[status]
    response = staff.get(f"/platform/tenants?status={status}", headers={"HX-Request": "true"})
    assert listed_slugs(text(response)) == expected


def test_pagination_fifty_per_page(staff, app, tenant_factory):
    with app.app_context():
        for n in range(51):
            tenant_factory(slug=f"shop-{n:02d}", commit=False)
        db.session.commit()
    first = text(staff.get("/platform/tenants"))
    assert len(listed_slugs(first)) == 50
    assert "Page 1 of 2 (51)" in first and "page=2" in first
    second = text(staff.get("/platform/tenants?page=2", headers={"HX-Request": "true"}))
    assert listed_slugs(second) == ["shop-00"]  # newest first, so the oldest is alone
    assert "Page 2 of 2 (51)" in second


def test_filters_survive_pagination_links(staff, app, tenant_factory):
    with app.app_context():
        for n in range(51):
            tenant_factory(slug=f"shop-{n:02d}", trial=True, commit=False)
        db.session.commit()
    page = text(staff.get("/platform/tenants?status=trial&q=shop"))
    assert re.search(r'href="/platform/tenants\?[^"]*status=trial', page)
    assert re.search(r'href="/platform/tenants\?[^"]*q=shop', page)


# -- create ----------------------------------------------------------------------------------


def open_admins_during_trial(app) -> None:
    """Trial tenants may have admins (admin_limit's seeded default gives them none)."""
    with in_platform(app):
        feature = definitions.find_feature("admin_limit")
        definitions.update_feature(ACTOR, feature, accessible_during_trial=True, trial_value="2")


def test_create_shows_the_set_password_link_once(staff, app, host_client):
    open_admins_during_trial(app)
    response = new_tenant(staff, admin_email="owner@newco.example", admin_name="Owner")
    assert response.status_code == 200
    page = text(response)
    assert 'id="tenant-created"' in page and "newco.localhost" in page
    link = re.search(r'<code class="secret">([^<]+)</code>', page).group(1)
    assert link.startswith("http://newco.localhost:5000/password/reset/")
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "newco"))
        assert tenant.status == "trial" and tenant.trial_ends_at is not None
        uuid = tenant.uuid
    detail = text(staff.get(f"/platform/tenants/{uuid}"))
    assert "owner@newco.example" in detail and "/password/reset/" not in detail
    reset = host_client("newco.localhost").get(urlsplit(link).path)
    assert reset.status_code == 200
    assert "owner@newco.example" in text(reset)


def test_first_admin_beyond_admin_limit_is_refused_on_its_field(staff, app):
    response = new_tenant(staff, admin_email="owner@newco.example")
    assert response.status_code == 422
    page = text(response)
    field = page[page.index('name="admin_email"') :]
    assert '<p class="error">Not included in your platform plan.</p>' in field
    assert tenant_count(app) == 0


def make_plan(app, slug: str, admin_limit: str, active: bool = True):
    with in_platform(app):
        plan = definitions.create_plan(ACTOR, slug=slug, name=slug.title())
        grants.set_grant(ACTOR, plan, definitions.find_feature("admin_limit"), admin_limit)
        if not active:
            definitions.update_plan(ACTOR, plan, is_active=False)
        return str(plan.uuid), plan.id


def test_create_on_a_platform_plan_whose_limit_admits_the_first_admin(staff, app):
    plan_uuid, plan_id = make_plan(app, "solo", "1")
    page = text(staff.get("/platform/tenants/new"))
    assert f'<option value="{plan_uuid}">Solo</option>' in page
    response = new_tenant(
        staff, status="active", platform_plan=plan_uuid, admin_email="o@n.example"
    )
    assert response.status_code == 200
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "newco"))
        assert tenant.platform_plan_id == plan_id


def test_an_inactive_platform_plan_cannot_be_chosen(staff, app):
    plan_uuid, _ = make_plan(app, "legacy", "5", active=False)
    assert plan_uuid not in text(staff.get("/platform/tenants/new"))
    response = new_tenant(staff, platform_plan=plan_uuid)
    assert response.status_code == 422
    assert tenant_count(app) == 0


def test_created_tenant_answers_on_its_subdomain(staff, host_client):
    assert new_tenant(staff, status="active").status_code == 200
    response = host_client("newco.localhost").get("/")
    assert response.status_code == 200
    assert "<h1>New Co</h1>" in text(response)


def test_create_without_admin_shows_no_link(staff):
    page = text(new_tenant(staff))
    assert 'id="tenant-created"' in page and "/password/reset/" not in page


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("a--b", "lower-case letters"),
        ("app", "This address is reserved."),
        ("xn--abc", "lower-case letters"),
        ("xn-abc", "This address is reserved."),
        ("Acme", "lower-case letters"),
        ("a", "lower-case letters"),
    ],
)
def test_invalid_slug_is_refused_and_nothing_saved(staff, app, slug, message):
    response = new_tenant(staff, slug=slug)
    assert response.status_code == 422
    assert message in text(response)
    assert tenant_count(app) == 0


def test_invalid_slug_over_htmx_returns_the_form_fragment(staff, app):
    response = new_tenant(staff, headers={"HX-Request": "true"}, slug="app")
    assert response.status_code == 422
    assert text(response).startswith('<form id="tenant-form"')
    assert tenant_count(app) == 0


def test_duplicate_slug_is_refused(staff, app, make_tenant):
    make_tenant(slug="newco")
    response = new_tenant(staff)
    assert response.status_code == 422
    assert "This slug is taken." in text(response)
    assert tenant_count(app) == 1


def test_invalid_admin_email_saves_nothing(staff, app):
    response = new_tenant(staff, admin_email="not-an-email")
    assert response.status_code == 422
    assert tenant_count(app) == 0
    with app.app_context():
        # Raw SQL: an ORM query on users would be scoped to a context.
        assert db.session.scalar(sql("SELECT count(*) FROM users WHERE NOT is_staff")) == 0


def test_slug_check_fragment_says_free_taken_or_invalid(staff, make_tenant):
    make_tenant(slug="taken-one")
    page = staff.get("/platform/tenants/new")
    assert 'hx-get="/platform/tenants/slug-check"' in page.get_data(as_text=True)
    check = "/platform/tenants/slug-check?slug="
    free = staff.get(check + "brand-new", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="slug-check"' in free and "brand-new.localhost is available" in free
    assert "This slug is taken." in staff.get(check + "taken-one").get_data(as_text=True)
    assert "reserved" in staff.get(check + "admin").get_data(as_text=True)
    assert "lower-case letters" in staff.get(check + "a--b").get_data(as_text=True)
