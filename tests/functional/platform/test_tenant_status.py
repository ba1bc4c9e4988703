"""Platform tenant detail: edit, suspend, reactivate, the activity log and the host inspector."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.activity import Activity
from app.models.tenancy import Tenant
from tests.functional.conftest import PLATFORM_HOST, host_of, text
from tests.support.htmx import location_path

REASON = "Invoices unpaid since March"


@pytest.fixture
def alpha(make_tenant):
    return make_tenant(slug="alpha", name="Alpha Books")


def url(tenant, action: str = "") -> str:
    return f"/platform/tenants/{tenant.uuid}" + (f"/{action}" if action else "")


def post(staff, tenant, action: str, prefix: str = "", headers=None, **fields):
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    data = {name: staff.csrf(url(tenant)), **{f"{prefix}-{k}": v for k, v in fields.items()}}
    return staff.post(url(tenant, action), data=data, headers=headers)


def row(app, tenant) -> Tenant:
    with app.app_context():
        return db.session.get(Tenant, tenant.id)


def activity(app, action: str) -> list[Activity]:
    with app.app_context():
        return list(db.session.scalars(select(Activity).where(Activity.action == action)))


def test_detail_page_shows_the_tabs(staff, alpha):
    response = staff.get(url(alpha))
    assert response.status_code == 200
    page = text(response)
    for section in ("overview", "domains", "users", "features", "cache", "activity"):
        assert f'<section id="{section}"' in page
    assert 'id="suspend-form"' in page


def test_unknown_tenant_uuid_is_404(staff):
    assert staff.get("/platform/tenants/0b5c8a52-0000-4000-8000-000000000000").status_code == 404
    assert staff.get("/platform/tenants/not-a-uuid").status_code == 404


def test_edit_renames_and_the_store_shows_it_at_once(staff, app, alpha, host_client):
    assert host_client(host_of(alpha)).get("/").status_code == 200  # warm the cache
    form = {"name": "Alpha Editions", "timezone": "UTC", "locale": "en", "default_currency": "USD"}
    data = {"csrf_token": staff.csrf(url(alpha, "edit")), **form}
    response = staff.post(url(alpha, "edit"), data=data)
    assert response.status_code == 303
    assert row(app, alpha).name == "Alpha Editions"
    assert "<h1>Alpha Editions</h1>" in text(host_client(host_of(alpha)).get("/"))


def test_suspend_with_reason(staff, staff_user, app, alpha, host_client):
    assert host_client(host_of(alpha)).get("/").status_code == 200  # warm the cache
    response = post(staff, alpha, "suspend", "suspend", reason=REASON)
    assert response.status_code == 303
    assert response.headers["Location"] == url(alpha)
    tenant = row(app, alpha)
    assert (tenant.status, tenant.status_reason) == ("suspended", REASON)
    (entry,) = activity(app, "tenant.suspended")
    assert (entry.actor_id, entry.actor_is_staff, entry.tenant_id) == (
        staff_user.id,
        True,
        alpha.id,
    )
    assert entry.actor_label == staff_user.email
    assert entry.after["status"] == "suspended"
    store = host_client(host_of(alpha)).get("/")
    assert store.status_code == 403 and REASON not in text(store)


def test_suspend_over_htmx_answers_hx_location_and_a_toast(staff, app, alpha):
    response = post(staff, alpha, "suspend", "suspend", {"HX-Request": "true"}, reason=REASON)
    assert response.status_code == 200
    assert location_path(response) == url(alpha)
    assert "Tenant suspended." in response.headers["HX-Trigger"]


@pytest.mark.parametrize("reason", ["", "   ", "abc"], ids=["empty", "blank", "short"])
def test_suspend_without_a_reason_changes_nothing(staff, app, alpha, reason):
    response = post(staff, alpha, "suspend", "suspend", reason=reason)
    assert response.status_code == 422
    assert "Give a reason of 5 to 500 characters." in text(response)
    assert row(app, alpha).status == "active"
    assert activity(app, "tenant.suspended") == []


def test_suspend_twice_is_refused(staff, make_tenant):
    frozen = make_tenant(slug="frozen", suspended=True)
    response = post(staff, frozen, "suspend", "suspend", reason=REASON)
    assert response.status_code == 422
    assert "already suspended" in text(response)


def test_detail_of_a_suspended_tenant_offers_reactivation(staff, make_tenant):
    frozen = make_tenant(slug="frozen", suspended=True)
    page = text(staff.get(url(frozen)))
    assert 'id="reactivate-form"' in page and 'id="suspend-form"' not in page
    assert "Suspended by a test" in page  # staff see the reason


def test_reactivate(staff, staff_user, app, make_tenant, host_client):
    frozen = make_tenant(slug="frozen", name="Frozen Press", suspended=True)
    assert host_client(host_of(frozen)).get("/").status_code == 403  # warm the cache
    response = post(staff, frozen, "reactivate", "reactivate", reason="Paid up", status="active")
    assert response.status_code == 303
    assert row(app, frozen).status == "active"
    (entry,) = activity(app, "tenant.reactivated")
    assert entry.actor_id == staff_user.id
    assert host_client(host_of(frozen)).get("/").status_code == 200


def test_reactivate_as_trial_needs_a_future_end(staff, app, make_tenant):
    frozen = make_tenant(slug="frozen", suspended=True)
    fields = {"reason": "Second chance", "status": "trial", "trial_ends_at": "2000-01-01T00:00"}
    response = post(staff, frozen, "reactivate", "reactivate", **fields)
    assert response.status_code == 422
    assert row(app, frozen).status == "suspended"


def test_activity_page_lists_rows_newest_first(staff, alpha, make_tenant):
    make_tenant(slug="beta")
    page = staff.get("/platform/activity")
    assert page.status_code == 200
    html = text(page)
    assert html.count("<td>tenant.created</td>") == 2
    assert html.index("<td>beta</td>") < html.index("<td>alpha</td>")
    fragment = text(staff.get("/platform/activity", headers={"HX-Request": "true"}))
    assert fragment.startswith('<div id="activity-rows"') and "<html" not in fragment


def test_tenant_activity_tab_shows_only_that_tenant(staff, alpha, make_tenant):
    make_tenant(slug="beta")
    html = text(staff.get(url(alpha, "activity")))
    assert "<td>alpha</td>" in html and "<td>beta</td>" not in html


@pytest.mark.parametrize(
    ("host", "outcome"),
    [
        ("ALPHA.localhost.", "tenant: "),
        ("nobody.localhost", "unknown host (404)"),
        ("127.0.0.1", "unknown host (404)"),
        ("al_pha.localhost", "bad request (400)"),
        ("app.localhost", "platform"),
        ("localhost", "redirect to the platform host"),
    ],
)
def test_resolve_inspector(staff, alpha, host, outcome):
    response = staff.get("/platform/tenants/resolve", query_string={"host": host})
    assert response.status_code == 200
    assert f"<dt>Outcome</dt><dd>{outcome}" in text(response)


def test_resolve_inspector_names_the_tenant_and_fills_no_cache(staff, app, alpha):
    html = text(staff.get("/platform/tenants/resolve?host=ALPHA.localhost"))
    assert "<dd>alpha.localhost</dd>" in html and ">Alpha Books</a>" in html
    assert "<dd>database only</dd>" in html
    cache = app.extensions["cache"]
    assert cache.get("tenant:domain:alpha.localhost") is None
    assert cache.get(f"tenant:id:{alpha.id}") is None


def test_staff_set_password_link_works_once(app, client):
    from app.extensions import db
    from services import users
    from services.links import set_password_url
    from tests.factories import ACTOR
    from tests.functional.conftest import in_platform

    with in_platform(app):
        staff_member = users.create_staff(ACTOR, email="new@example.com", name="New", password=None)
    with app.test_request_context(), in_platform(app):
        link = set_password_url(None, db.session.merge(staff_member))
    path = link.split("app.localhost:5000", 1)[1]
    page = client.get(path, headers={"Host": PLATFORM_HOST})
    assert page.status_code == 200
    token = (
        page.get_data(as_text=True)
        .split('name="csrf_token" type="hidden" value="')[1]
        .split('"')[0]
    )
    form = {"password": "a-long-password", "confirm": "a-long-password", "csrf_token": token}
    done = client.post(path, headers={"Host": PLATFORM_HOST}, data=form)
    assert done.status_code == 303 and done.headers["Location"].endswith("/platform/login")
    assert client.get(path, headers={"Host": PLATFORM_HOST}).status_code == 404
