"""X-Tenant-Id: ignored on tenant hosts, guarded on the platform host (spec 10 §3.4)."""

from __future__ import annotations

import uuid

import pytest

from tests.functional.conftest import PLATFORM_HOST, error_code, host_of, in_platform, text


@pytest.fixture
def alpha(make_tenant):
    return make_tenant(slug="alpha", name="Alpha Books")


@pytest.fixture
def beta(make_tenant):
    # A French locale makes the tenant context visible: base.html renders <html lang="fr">.
    return make_tenant(slug="beta", name="Beta Press", locale="fr")


@pytest.fixture
def make_token(app):
    """An internal API token (optionally revoked afterwards); returns the bearer value."""
    from services import api_tokens
    from tests.factories import ACTOR

    def make(revoked: bool = False) -> str:
        with in_platform(app):
            row, token = api_tokens.create(ACTOR, "integration tests")
        if revoked:
            with in_platform(app):
                api_tokens.revoke(ACTOR, row.token_prefix)
        return token

    return make


def on_platform(client, path: str, tenant_id: str | None, **headers):
    if tenant_id is not None:
        headers["X-Tenant-Id"] = tenant_id
    return client.get(path, headers={"Host": PLATFORM_HOST, **headers})


def test_header_on_a_tenant_host_is_ignored(client, alpha, beta):
    response = client.get("/", headers={"Host": host_of(alpha), "X-Tenant-Id": str(beta.uuid)})
    assert response.status_code == 200
    assert "<h1>Alpha Books</h1>" in text(response)
    assert "Beta Press" not in text(response)


def test_malformed_header_on_a_tenant_host_is_ignored_too(client, alpha):
    response = client.get("/", headers={"Host": host_of(alpha), "X-Tenant-Id": "nonsense"})
    assert response.status_code == 200


def test_anonymous_header_is_refused(client, beta):
    response = on_platform(client, "/platform/login", str(beta.uuid))
    assert response.status_code == 403
    assert error_code(response) == "tenant_header_not_allowed"


def test_malformed_header_is_400(client):
    response = on_platform(client, "/platform/login", "not-a-uuid")
    assert response.status_code == 400
    assert error_code(response) == "invalid_tenant_header"


def test_staff_session_header_runs_as_that_tenant(staff, beta):
    without = staff.get("/platform/tenants")
    assert '<html lang="en">' in text(without)
    response = staff.get("/platform/tenants", headers={"X-Tenant-Id": str(beta.uuid)})
    assert response.status_code == 200
    assert '<html lang="fr">' in text(response)


def test_unknown_uuid_is_404(staff):
    response = staff.get("/platform/tenants", headers={"X-Tenant-Id": str(uuid.uuid4())})
    assert response.status_code == 404
    assert error_code(response) == "tenant_not_found"


def test_tenant_admin_session_copied_to_the_platform_cannot_use_it(
    client, signed_in, make_user, alpha, beta
):
    admin = make_user(tenant=alpha, admin=True)
    tenant_client = signed_in(host_of(alpha), admin.email)
    cookie = tenant_client.client.get_cookie("tenant_alpha", domain=host_of(alpha))
    client.set_cookie("platform_session", cookie.value, domain=PLATFORM_HOST)
    response = on_platform(client, "/platform/login", str(beta.uuid))
    assert response.status_code == 403
    assert error_code(response) == "tenant_header_not_allowed"


def test_bearer_token_header_runs_as_that_tenant(client, make_token, beta):
    auth = {"Authorization": f"Bearer {make_token()}"}
    response = on_platform(client, "/platform/login", str(beta.uuid), **auth)
    assert response.status_code == 200
    assert '<html lang="fr">' in text(response)


def test_revoked_token_is_refused(client, make_token, beta):
    auth = {"Authorization": f"Bearer {make_token(revoked=True)}"}
    response = on_platform(client, "/platform/login", str(beta.uuid), **auth)
    assert response.status_code == 403
    assert error_code(response) == "tenant_header_not_allowed"


def test_made_up_token_is_refused(client, beta):
    auth = {"Authorization": "Bearer plt_" + "x" * 43}
    response = on_platform(client, "/platform/login", str(beta.uuid), **auth)
    assert response.status_code == 403


def test_token_use_is_recorded(app, client, make_token, beta):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import ApiToken

    token = make_token()
    on_platform(client, "/platform/login", str(beta.uuid), Authorization=f"Bearer {token}")
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_token_calls_are_exempt_from_csrf_but_sessions_are_not(client, make_token):
    headers = {"Host": PLATFORM_HOST}
    assert client.post("/platform/logout", headers=headers).status_code == 400
    headers["Authorization"] = f"Bearer {make_token()}"
    assert client.post("/platform/logout", headers=headers).status_code == 200
