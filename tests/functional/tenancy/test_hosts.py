"""Which host a request identifies by, and what each kind of host answers (spec 10 §3)."""

from __future__ import annotations

import pytest
from flask import jsonify, request

from tests.functional.conftest import PLATFORM_HOST, host_of, text
from tests.support.counting import count_queries

UNKNOWN_BODY = "There is no store at this address."


@pytest.fixture
def alpha(make_tenant):
    return make_tenant(slug="alpha", name="Alpha Books")


def get(client, host: str, path: str = "/", **headers):
    return client.get(path, headers={"Host": host, **headers})


def test_subdomain_host_resolves_the_tenant(client, alpha):
    response = get(client, host_of(alpha))
    assert response.status_code == 200
    assert "<h1>Alpha Books</h1>" in text(response)


def test_host_is_lower_cased_and_loses_port_and_trailing_dot(client, alpha):
    response = get(client, "ALPHA.localhost.:5000")
    assert response.status_code == 200
    assert "<h1>Alpha Books</h1>" in text(response)


def test_unknown_hosts_answer_one_fixed_404(client, alpha, make_tenant):
    make_tenant(slug="beta", name="Beta Press")
    first = get(client, "alphx.localhost")
    second = get(client, "shop.nowhere.example")
    for response in (first, second):
        assert response.status_code == 404
        assert response.headers["Cache-Control"] == "no-store"
        assert "Alpha" not in text(response) and "Beta" not in text(response)
    assert first.get_data() == second.get_data() == UNKNOWN_BODY.encode()


@pytest.mark.parametrize(
    "host",
    ["al_pha.localhost", "a" * 64 + ".localhost", "bücher.localhost", "-alpha.localhost"],
    ids=["underscore", "long-label", "non-ascii", "leading-hyphen"],
)
def test_invalid_host_is_400_without_touching_the_database(client, host):
    with count_queries() as statements:
        response = get(client, host)
    assert response.status_code == 400
    assert statements == []


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:5000", "[::1]:5000"])
def test_ip_host_is_the_unknown_host_404(client, host):
    with count_queries() as statements:
        response = get(client, host)
    assert response.status_code == 404
    assert text(response) == UNKNOWN_BODY
    assert statements == []


@pytest.mark.parametrize("host", ["nobody.localhost", "127.0.0.1", "al_pha.localhost"])
def test_healthz_answers_on_any_host(client, host):
    response = get(client, host, "/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_bare_domain_redirects_to_the_platform_host(client):
    response = get(client, "localhost:5000")
    assert response.status_code == 302
    assert response.headers["Location"] == "http://app.localhost:5000/"


def test_www_domain_redirect_keeps_path_and_query(client):
    response = get(client, "www.localhost", "/platform/tenants?q=a")
    assert response.status_code == 302
    assert response.headers["Location"] == "http://app.localhost/platform/tenants?q=a"


def test_bare_domain_post_is_the_unknown_host_404(client):
    response = client.post("/login", headers={"Host": "localhost"})
    assert response.status_code == 404
    assert text(response) == UNKNOWN_BODY


def test_platform_host_root_redirects_to_platform(client):
    response = get(client, PLATFORM_HOST)
    assert response.status_code == 302
    assert response.headers["Location"] == "/platform/"


def test_dashboard_is_404_on_the_platform_host(client):
    assert get(client, PLATFORM_HOST, "/dashboard/").status_code == 404


@pytest.mark.parametrize("path", ["/login", "/logout", "/password/reset/abc"])
def test_tenant_pages_are_404_on_the_platform_host(client, path):
    assert get(client, PLATFORM_HOST, path).status_code == 404


@pytest.mark.parametrize("path", ["/platform/tenants", "/platform/login", "/platform/"])
def test_platform_pages_are_404_on_a_tenant_host(client, alpha, path):
    assert get(client, host_of(alpha), path).status_code == 404


def test_non_primary_host_get_redirects_301_to_the_primary(client, alpha, add_domain):
    add_domain(alpha, "shop.example.com")
    response = get(client, "shop.example.com:5000", "/login?next=/dashboard/")
    assert response.status_code == 301
    assert response.headers["Location"] == "http://alpha.localhost:5000/login?next=/dashboard/"


def test_custom_primary_host_serves_and_the_subdomain_redirects(client, alpha, add_domain):
    add_domain(alpha, "books.example.com", primary=True)
    assert "<h1>Alpha Books</h1>" in text(get(client, "books.example.com"))
    response = get(client, host_of(alpha))
    assert response.status_code == 301
    assert response.headers["Location"] == "http://books.example.com/"


def test_ipn_post_on_a_non_primary_host_is_not_redirected(client, alpha, add_domain):
    add_domain(alpha, "shop.example.com")
    response = client.post("/payment/ipn/stripe", headers={"Host": "shop.example.com"}, data="{}")
    assert response.status_code not in (301, 302, 303, 307, 308)
    assert "Location" not in response.headers


# -- X-Forwarded-Host ------------------------------------------------------------------------


@pytest.fixture
def proxied_app(other_app):
    """An app behind one trusted proxy, with a probe route that reports what the app saw."""
    built = other_app(TRUSTED_PROXIES=1)

    @built.get("/api/_probe")  # /api/ is never redirected to the primary host
    def _probe():
        from services.tenancy import current_tenant_or_none

        tenant = current_tenant_or_none()
        return jsonify(host=request.host, tenant=tenant.slug if tenant else None)

    return built


def test_trusted_proxy_uses_the_first_forwarded_host(proxied_app, alpha, add_domain):
    add_domain(alpha, "shop.example.com")
    headers = {"Host": "upstream.internal", "X-Forwarded-Host": "shop.example.com, proxy.internal"}
    response = proxied_app.test_client().get("/api/_probe", headers=headers)
    assert response.get_json() == {"host": "shop.example.com", "tenant": "alpha"}


def test_trusted_proxy_redirect_is_built_from_the_forwarded_host(proxied_app, alpha, add_domain):
    add_domain(alpha, "shop.example.com")
    headers = {"Host": "upstream.internal:8080", "X-Forwarded-Host": "shop.example.com:8443"}
    response = proxied_app.test_client().get("/login", headers=headers)
    assert response.status_code == 301
    assert response.headers["Location"] == "http://alpha.localhost:8443/login"


def test_forwarded_host_is_ignored_without_trusted_proxies(client, alpha, add_domain):
    add_domain(alpha, "shop.example.com")
    response = get(client, "upstream.internal", **{"X-Forwarded-Host": "shop.example.com"})
    assert response.status_code == 404
    assert text(response) == UNKNOWN_BODY


def test_forwarded_host_cannot_pick_another_tenant(client, alpha, make_tenant):
    beta = make_tenant(slug="beta", name="Beta Press")
    response = get(client, host_of(beta), **{"X-Forwarded-Host": host_of(alpha)})
    assert response.status_code == 200
    assert "<h1>Beta Press</h1>" in text(response)
    assert "Alpha Books" not in text(response)


# -- leaving the scope -----------------------------------------------------------------------


@pytest.fixture
def probe_app(other_app):
    """An app with a view that records the scope it ran in and one that fails."""
    built = other_app(PROPAGATE_EXCEPTIONS=False)
    seen = []

    @built.get("/api/_scope")
    def _scope():
        from services.tenancy import context

        seen.append(context.current_scope().kind)
        return "ok"

    @built.get("/api/_boom")
    def _boom():
        raise RuntimeError("view failed")

    built.seen = seen
    return built


@pytest.mark.parametrize("path", ["/api/_scope", "/api/_boom"])
def test_the_request_scope_is_left_when_the_request_ends(probe_app, alpha, path):
    from services.tenancy import context

    before = context.current_scope()
    response = probe_app.test_client().get(path, headers={"Host": host_of(alpha)})
    assert response.status_code == (200 if path == "/api/_scope" else 500)
    assert probe_app.seen == (["tenant"] if path == "/api/_scope" else [])
    assert context.current_scope() is before
