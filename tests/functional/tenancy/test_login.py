"""Sign-in on tenant hosts: messages, throttling, where it lands, sign-out and CSRF (§9.2, §9.4)."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.functional.conftest import PLATFORM_HOST, host_of, text

WRONG = "Email or password is incorrect."
LOCKED = "Too many attempts"


@pytest.fixture
def alpha(make_tenant):
    return make_tenant(slug="alpha", name="Alpha Books")


@pytest.fixture
def site(host_client, alpha):
    return host_client(host_of(alpha))


def attempt(client, email: str, password: str = PASSWORD, **fields):
    token = client.csrf("/login")
    data = {"email": email, "password": password, "csrf_token": token, **fields}
    return client.post("/login", data=data)


def test_login_page_is_not_cached(site):
    response = site.get("/login")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_wrong_password_is_one_generic_message(site, make_user, alpha):
    reader = make_user(tenant=alpha)
    response = attempt(site, reader.email, "not-the-password")
    assert response.status_code == 422
    assert WRONG in text(response)
    assert attempt(site, "nobody@example.com", "not-the-password").status_code == 422


def test_email_is_matched_case_insensitively(site, make_user, alpha):
    reader = make_user(tenant=alpha)
    assert attempt(site, f"  {reader.email.upper()} ").status_code == 303


@pytest.mark.parametrize("existing", [True, False], ids=["existing", "unknown"])
def test_five_failures_lock_the_email(site, make_user, alpha, existing):
    email = make_user(tenant=alpha).email if existing else "ghost@example.com"
    for _ in range(5):
        response = attempt(site, email, "wrong-password")
        assert WRONG in text(response)
    response = attempt(site, email, PASSWORD)  # even the right password is refused now
    assert response.status_code == 422
    assert LOCKED in text(response)
    assert WRONG not in text(response)


def test_lock_is_per_email(site, make_user, alpha):
    locked, other = make_user(tenant=alpha), make_user(tenant=alpha)
    for _ in range(5):
        attempt(site, locked.email, "wrong-password")
    assert attempt(site, other.email).status_code == 303


def test_thirty_failures_from_one_address_answer_429(site, make_user, alpha):
    reader = make_user(tenant=alpha)
    for n in range(30):
        response = attempt(site, f"guess{n}@example.com", "wrong-password")
        assert response.status_code == 422, n
    response = attempt(site, reader.email)  # the right password, from the same address
    assert response.status_code == 429
    assert "Too many attempts" in text(response)
    assert site.get("/login").status_code == 200  # only POSTs are refused
    token = site.csrf("/login")
    data = {"email": reader.email, "password": PASSWORD, "csrf_token": token}
    other_address = site.post("/login", data=data, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_address.status_code == 303


def test_admin_lands_on_the_dashboard(site, make_user, alpha):
    admin = make_user(tenant=alpha, admin=True)
    response = attempt(site, admin.email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard/"


def test_reader_lands_on_the_store(site, make_user, alpha):
    reader = make_user(tenant=alpha)
    response = attempt(site, reader.email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "evil"]
)
def test_foreign_next_is_ignored(site, make_user, alpha, target):
    admin = make_user(tenant=alpha, admin=True)
    response = attempt(site, admin.email, next=target)
    assert response.headers["Location"] == "/dashboard/"


def test_relative_next_is_honoured(site, make_user, alpha):
    admin = make_user(tenant=alpha, admin=True)
    response = attempt(site, admin.email, next="/dashboard/orders?page=2")
    assert response.headers["Location"] == "/dashboard/orders?page=2"


def test_next_travels_from_the_dashboard_redirect_through_the_form(site, make_user, alpha):
    admin = make_user(tenant=alpha, admin=True)
    login_url = site.get("/dashboard/orders?a=1&b=2").headers["Location"]
    page = text(site.get(login_url))
    assert 'value="/dashboard/orders?a=1&amp;b=2"' in page
    response = attempt(site, admin.email, next="/dashboard/orders?a=1&b=2")
    assert response.headers["Location"] == "/dashboard/orders?a=1&b=2"


def test_htmx_login_answers_hx_redirect(site, make_user, alpha):
    admin = make_user(tenant=alpha, admin=True)
    token = site.csrf("/login")
    data = {"email": admin.email, "password": PASSWORD, "csrf_token": token}
    response = site.post("/login", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/dashboard/"


def test_logout_get_shows_a_form_and_keeps_the_session(signed_in, make_user, alpha):
    admin = make_user(tenant=alpha, admin=True)
    client = signed_in(host_of(alpha), admin.email)
    page = client.get("/logout")
    assert page.status_code == 200
    assert 'action="/logout"' in text(page) and 'name="csrf_token"' in text(page)
    assert client.get("/dashboard/").status_code == 200


def test_logout_post_signs_out(signed_in, make_user, alpha):
    admin = make_user(tenant=alpha, admin=True)
    client = signed_in(host_of(alpha), admin.email)
    response = client.post("/logout", data={"csrf_token": client.csrf("/logout")})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert client.get("/dashboard/").status_code == 302


def test_logout_post_without_token_is_refused(signed_in, make_user, alpha):
    admin = make_user(tenant=alpha, admin=True)
    client = signed_in(host_of(alpha), admin.email)
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard/").status_code == 200


def test_login_post_without_csrf_token_is_400(site, make_user, alpha):
    reader = make_user(tenant=alpha)
    response = site.post("/login", data={"email": reader.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Your form expired" in text(response)


def test_dashboard_post_without_csrf_token_is_400(signed_in, make_user, alpha):
    admin = make_user(tenant=alpha, admin=True)
    client = signed_in(host_of(alpha), admin.email)
    assert client.post("/dashboard/orders").status_code == 400


def test_platform_post_without_csrf_token_is_400(staff):
    response = staff.post("/platform/tenants/new", data={"name": "X", "slug": "xyz"})
    assert response.status_code == 400
    assert "Your form expired" in text(response)


def test_htmx_post_with_a_bad_token_asks_for_a_refresh(staff):
    headers = {"HX-Request": "true", "X-CSRFToken": "expired-token"}
    response = staff.post("/platform/tenants/new", data={"name": "X"}, headers=headers)
    assert response.status_code == 400
    assert response.headers["HX-Refresh"] == "true"
    assert "toast" in response.headers["HX-Trigger"]


def test_platform_login_lands_on_platform_home(host_client, staff_user):
    response = host_client(PLATFORM_HOST).login(staff_user.email, path="/platform/login")
    assert response.status_code == 303
    assert response.headers["Location"] == "/platform/"
