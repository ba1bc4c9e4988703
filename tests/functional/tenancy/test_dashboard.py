"""The tenant dashboard: who gets in, and what an active or suspended tenant's admin sees (§6)."""

from __future__ import annotations

import pytest

from blueprints.areas import DASHBOARD_AREAS
from tests.factories import PASSWORD
from tests.functional.conftest import host_of, text

REASON = "Suspended by a test"  # the factory's status_reason


@pytest.fixture
def alpha(make_tenant):
    return make_tenant(slug="alpha", name="Alpha Books")


@pytest.fixture
def frozen(make_tenant):
    return make_tenant(slug="frozen", name="Frozen Press", suspended=True)


def admin_of(tenant, make_user, signed_in):
    admin = make_user(tenant=tenant, admin=True)
    return signed_in(host_of(tenant), admin.email)


# -- access ----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_with_next(host_client, alpha):
    response = host_client(host_of(alpha)).get("/dashboard/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/dashboard/"


def test_anonymous_htmx_request_gets_401_with_hx_redirect(host_client, alpha):
    site = host_client(host_of(alpha))
    response = site.get("/dashboard/orders", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/dashboard/orders"
    assert "Location" not in response.headers


def test_reader_is_forbidden(signed_in, make_user, alpha):
    reader = make_user(tenant=alpha)
    client = signed_in(host_of(alpha), reader.email)
    response = client.get("/dashboard/")
    assert response.status_code == 403
    assert response.headers["Cache-Control"] == "no-store"


def test_admin_sees_the_navigation(signed_in, make_user, alpha):
    client = admin_of(alpha, make_user, signed_in)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    page = text(response)
    assert "Alpha Books · Dashboard" in page
    for area in DASHBOARD_AREAS:
        assert f'href="/dashboard/{area.slug}"' in page
    assert 'id="suspended-banner"' not in page


def test_unbuilt_area_says_not_available_yet(signed_in, make_user, alpha):
    client = admin_of(alpha, make_user, signed_in)
    response = client.get("/dashboard/analytics")
    assert response.status_code == 200
    assert "Not available yet." in text(response)
    assert '<a href="/dashboard/analytics" aria-current="page">Analytics</a>' in text(response)


def test_unknown_area_is_404(signed_in, make_user, alpha):
    client = admin_of(alpha, make_user, signed_in)
    assert client.get("/dashboard/no-such-area").status_code == 404


def test_dashboard_post_on_an_active_tenant_is_405(signed_in, make_user, alpha):
    client = admin_of(alpha, make_user, signed_in)
    token = client.csrf("/dashboard/")
    assert client.post("/dashboard/orders", data={"csrf_token": token}).status_code == 405


# -- a suspended tenant ----------------------------------------------------------------------


def test_suspended_store_is_403_without_the_reason(host_client, frozen):
    response = host_client(host_of(frozen)).get("/")
    assert response.status_code == 403
    assert response.headers["Cache-Control"] == "no-store"
    assert "temporarily unavailable" in text(response)
    assert REASON not in text(response)


def test_suspended_login_page_warns_only_admins_may_sign_in(host_client, frozen):
    response = host_client(host_of(frozen)).get("/login")
    assert response.status_code == 200
    assert "Only administrators can sign in." in text(response)


def test_suspended_admin_browses_with_a_banner(signed_in, make_user, frozen):
    client = admin_of(frozen, make_user, signed_in)
    for path in ("/dashboard/", "/dashboard/orders"):
        response = client.get(path)
        assert response.status_code == 200
        assert 'id="suspended-banner"' in text(response)
        assert REASON not in text(response)


def test_suspended_reader_gets_403_and_no_session(host_client, make_user, frozen):
    reader = make_user(tenant=frozen)
    site = host_client(host_of(frozen))
    response = site.login(reader.email, PASSWORD)
    assert response.status_code == 403
    assert "temporarily unavailable" in text(response)
    assert reader.email not in text(site.get("/login"))  # still signed out


def test_suspended_dashboard_post_is_403(signed_in, make_user, frozen):
    client = admin_of(frozen, make_user, signed_in)
    token = client.csrf("/dashboard/")
    for path in ("/dashboard/", "/dashboard/orders"):
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 403, path


def test_suspended_dashboard_htmx_post_is_a_403_fragment_with_toast(signed_in, make_user, frozen):
    client = admin_of(frozen, make_user, signed_in)
    headers = {"HX-Request": "true", "X-CSRFToken": client.csrf("/dashboard/")}
    response = client.post("/dashboard/orders", headers=headers)
    assert response.status_code == 403
    assert 'id="suspended-error"' in text(response)
    assert "<html" not in text(response)
    assert "Account suspended: read-only" in response.headers["HX-Trigger"]


def test_suspended_tenant_healthz_is_unaffected(host_client, frozen):
    assert host_client(host_of(frozen)).get("/healthz").status_code == 200
