"""Per-tenant session cookies: names, attributes, and sessions valid only where issued (§9.3)."""

from __future__ import annotations

import pytest

from tests.functional.conftest import PLATFORM_HOST, host_of, text
from tests.support.hosts import HostClient

WRONG = "Email or password is incorrect."


@pytest.fixture
def alpha(make_tenant):
    return make_tenant(slug="alpha", name="Alpha Books")


@pytest.fixture
def beta(make_tenant):
    return make_tenant(slug="beta", name="Beta Press")


def session_cookie(response) -> tuple[str, set[str]]:
    """The name of the one cookie a response sets, and its attributes lower-cased without
    values, except SameSite which keeps its value ("samesite=lax")."""
    (header,) = response.headers.getlist("Set-Cookie")
    first, *attributes = (part.strip().lower() for part in header.split(";"))
    keep_value = ("samesite=",)
    names = {a if a.startswith(keep_value) else a.split("=", 1)[0] for a in attributes}
    return first.split("=", 1)[0], names


def test_tenant_host_cookie_is_named_after_the_slug(host_client, alpha, make_user):
    admin = make_user(tenant=alpha, admin=True)
    response = host_client(host_of(alpha)).login(admin.email)
    assert response.status_code == 303
    name, attributes = session_cookie(response)
    assert name == "tenant_alpha"
    assert {"httponly", "samesite=lax", "path"} <= attributes
    assert "path=/" in response.headers["Set-Cookie"].lower()
    assert "domain" not in attributes
    assert "secure" not in attributes  # plain http in tests


def test_platform_host_cookie_is_platform_session(host_client, staff_user):
    response = host_client(PLATFORM_HOST).login(staff_user.email, path="/platform/login")
    assert response.status_code == 303
    name, attributes = session_cookie(response)
    assert name == "platform_session"
    assert {"httponly", "samesite=lax"} <= attributes
    assert "domain" not in attributes


def test_unknown_host_sets_no_cookie(client):
    response = client.get("/login", headers={"Host": "nobody.localhost"})
    assert response.headers.getlist("Set-Cookie") == []


def test_cookie_is_secure_when_the_environment_says_https(monkeypatch, other_app, alpha):
    monkeypatch.setenv("PREFERRED_URL_SCHEME", "https")
    https_app = other_app()
    response = https_app.test_client().get("/login", headers={"Host": host_of(alpha)})
    assert "secure" in session_cookie(response)[1]


def test_cookie_is_secure_when_the_config_says_https(other_app, alpha):
    https_app = other_app(PREFERRED_URL_SCHEME="https")
    response = https_app.test_client().get("/login", headers={"Host": host_of(alpha)})
    assert "secure" in session_cookie(response)[1]


def test_signed_in_session_works_on_its_own_host(signed_in, alpha, make_user):
    admin = make_user(tenant=alpha, admin=True)
    client = signed_in(host_of(alpha), admin.email)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert admin.email in text(response)


def with_cookie(app, host: str, name: str, value: str) -> HostClient:
    """A fresh client that carries only this cookie for `host`."""
    client = app.test_client()
    client.set_cookie(name, value, domain=host)
    return HostClient(client, host)


def test_session_copied_to_another_tenant_is_anonymous(app, signed_in, alpha, beta, make_user):
    admin = make_user(tenant=alpha, admin=True)
    make_user(tenant=beta, admin=True, email=admin.email)  # same email, another account
    client = signed_in(host_of(alpha), admin.email)
    raw = client.client.get_cookie("tenant_alpha", domain=host_of(alpha)).value
    # The copy works where it was issued, so the cookie itself is sound ...
    assert (
        with_cookie(app, host_of(alpha), "tenant_alpha", raw).get("/dashboard/").status_code == 200
    )
    # ... and is anonymous on the other tenant's host, under that tenant's cookie name.
    response = with_cookie(app, host_of(beta), "tenant_beta", raw).get("/dashboard/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_reader_of_one_tenant_cannot_sign_in_on_another(host_client, alpha, beta, make_user):
    reader = make_user(tenant=alpha)
    assert host_client(host_of(alpha)).login(reader.email).status_code == 303
    response = host_client(host_of(beta)).login(reader.email)
    assert response.status_code == 422
    assert WRONG in text(response)


def test_same_email_on_another_tenant_is_another_account(host_client, alpha, beta, make_user):
    reader = make_user(tenant=alpha)
    make_user(tenant=beta, email=reader.email, password="beta-only-password")
    beta_client = host_client(host_of(beta))
    assert beta_client.login(reader.email).status_code == 422
    assert beta_client.login(reader.email, "beta-only-password").status_code == 303


def test_staff_cannot_sign_in_on_a_tenant_host(host_client, alpha, staff_user):
    response = host_client(host_of(alpha)).login(staff_user.email)
    assert response.status_code == 422
    assert WRONG in text(response)


def test_tenant_admin_cannot_sign_in_on_the_platform(host_client, alpha, make_user):
    admin = make_user(tenant=alpha, admin=True)
    response = host_client(PLATFORM_HOST).login(admin.email, path="/platform/login")
    assert response.status_code == 422
    assert WRONG in text(response)
