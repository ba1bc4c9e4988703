"""The staff feature catalogue (spec 20 §11.2, §11.6, §15 items 40, 41): who may read and write
it, the field rules, the kind lock, the deprecating confirmation and deletion."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.activity import Activity
from app.models.features import ConfigVersion, Feature
from services.features import definitions, grants, overrides
from tests.factories import ACTOR
from tests.functional.conftest import PLATFORM_HOST, host_of, in_platform, text
from tests.support.htmx import location_path

HTMX = {"HX-Request": "true"}


@pytest.fixture
def root(signed_in, make_user):
    """A super admin signed in on the platform host."""
    user = make_user(email="root@example.com", super_admin=True)
    return signed_in(PLATFORM_HOST, user.email)


def send(client, method: str, path: str, data=None, htmx: bool = False):
    """A write with the CSRF token in the header, as the page's hx-headers sends it."""
    headers = {"X-CSRFToken": client.csrf("/platform/features"), **(HTMX if htmx else {})}
    return client.client.open(
        path, method=method, data=data or {}, headers=client._headers(headers)
    )


def feature_form(**fields) -> dict:
    return {
        "slug": "pilot_toggle",
        "name": "Pilot toggle",
        "description": "A switch for one customer.",
        "kind": "boolean",
        "trial_value": "",
        **fields,
    }


def stored(app, slug: str) -> Feature | None:
    with app.app_context():
        return db.session.scalar(select(Feature).where(Feature.slug == slug))


def activity_rows(app, action: str | None = None) -> list[Activity]:
    with app.app_context():
        query = select(Activity).order_by(Activity.id)
        if action:
            query = query.where(Activity.action == action)
        return list(db.session.scalars(query))


def activity_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Activity.id)))


def config_versions(app) -> dict[str, int]:
    with app.app_context():
        return {row.name: row.version for row in db.session.scalars(select(ConfigVersion))}


def row_html(html: str, slug: str) -> str:
    match = re.search(rf'<tr id="feature-{slug}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {slug}"
    return match.group(1)


def make_custom_feature(app, slug="pilot_toggle", kind="boolean"):
    with in_platform(app):
        definitions.create_feature(ACTOR, slug=slug, name="Pilot", kind=kind)


# -- reading ----------------------------------------------------------------------------------


def test_catalog_page_and_fragment(staff):
    page = staff.get("/platform/features")
    fragment = staff.get("/platform/features", headers=HTMX)
    for response in (page, fragment):
        assert response.status_code == 200
        assert "HX-Request" in response.headers["Vary"]
        assert "admin_limit" in text(response) and "storefront_search" in text(response)
    assert "<html" in text(page) and text(fragment).startswith('<div id="feature-rows"')
    assert "New feature" not in text(page)  # plain staff only read the catalogue
    assert "platform-controlled" in row_html(text(page), "storefront_search")


def test_catalog_counts_granting_plans_and_overrides(app, staff, tenant_factory):
    with in_platform(app):
        coupons = definitions.find_feature("discount_coupons")
        for slug, value in (("starter", "disabled"), ("growth", "enabled"), ("max", "enabled")):
            plan = definitions.create_plan(ACTOR, slug=slug, name=slug.title())
            grants.set_grant(ACTOR, plan, coupons, value)
        tenant = tenant_factory(commit=False)
        overrides.set_override(ACTOR, tenant, coupons, "disabled", "contract ended", None)
    cells = re.findall(
        r"<td>([^<]*)</td>", row_html(text(staff.get("/platform/features")), "discount_coupons")
    )
    assert cells[-2:] == ["2", "1"]  # two plans grant it (one says disabled); one override


def test_super_admin_sees_the_write_actions(root):
    page = text(root.get("/platform/features"))
    assert 'href="/platform/features/new"' in page
    assert 'href="/platform/features/admin_limit/edit"' in page
    assert 'href="/platform/features/admin_limit/delete"' not in page  # registry feature


# -- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/platform/features/new"),
        ("POST", "/platform/features/new"),
        ("GET", "/platform/features/automations/edit"),
        ("POST", "/platform/features/automations/edit"),
        ("GET", "/platform/features/automations/delete"),
        ("POST", "/platform/features/automations/delete"),
    ],
)
def test_plain_staff_cannot_write_features(app, staff, method, path):
    before = activity_count(app)
    response = send(staff, method, path, feature_form())
    assert response.status_code == 403
    assert stored(app, "pilot_toggle") is None and activity_count(app) == before


def test_tenant_admin_cannot_reach_the_catalogue(make_tenant, make_user, signed_in, host_client):
    tenant = make_tenant(slug="alpha")
    admin = make_user(tenant=tenant, admin=True)
    client = signed_in(host_of(tenant), admin.email)
    assert client.get("/platform/features").status_code == 404
    anonymous = host_client(PLATFORM_HOST).get("/platform/features")
    assert anonymous.status_code == 302 and "/platform/login" in anonymous.headers["Location"]


def test_unknown_feature_in_the_url_is_404(root):
    assert root.get("/platform/features/nope/edit").status_code == 404
    assert send(root, "POST", "/platform/features/nope/delete").status_code == 404


# -- create -----------------------------------------------------------------------------------


def test_new_feature_form_page_and_fragment(root):
    page = root.get("/platform/features/new")
    fragment = root.get("/platform/features/new", headers=HTMX)
    assert page.status_code == fragment.status_code == 200
    assert "<html" in text(page) and 'id="feature-form"' in text(page)
    assert text(fragment).startswith('<form id="feature-form"')


def test_super_admin_creates_a_feature_with_one_activity_row(app, root):
    versions, before = config_versions(app), activity_count(app)
    response = send(root, "POST", "/platform/features/new", feature_form(), htmx=True)
    assert response.status_code == 200
    assert location_path(response) == "/platform/features"
    assert "created" in response.headers["HX-Trigger"]
    feature = stored(app, "pilot_toggle")
    assert (feature.name, feature.kind, feature.deprecating) == ("Pilot toggle", "boolean", False)
    assert activity_count(app) == before + 1
    (row,) = activity_rows(app, "feature.created")
    assert row.actor_label == "root@example.com" and row.actor_id is not None
    assert row.subject_id == "pilot_toggle" and row.before is None
    assert row.after["name"] == "Pilot toggle" and row.after["kind"] == "boolean"
    now = config_versions(app)
    assert now["feature_definitions"] == versions["feature_definitions"] + 1
    assert now["feature_catalog"] == versions["feature_catalog"] + 1


def test_plain_post_creates_and_redirects(app, root):
    response = send(root, "POST", "/platform/features/new", feature_form(kind="limit"))
    assert response.status_code == 303 and response.headers["Location"] == "/platform/features"
    assert stored(app, "pilot_toggle").kind == "limit"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slug": "Pilot"}, "lower-case letters"),
        ({"slug": "p"}, "lower-case letters"),
        ({"slug": "pilot-toggle"}, "lower-case letters"),
        ({"name": "  "}, "Give a name"),
        ({"description": "x" * 1001}, "1,000 characters"),
        ({"kind": "flag"}, "Not a valid choice"),
        ({"kind": "limit", "accessible_during_trial": "y"}, "needs a trial value"),
        ({"kind": "limit", "accessible_during_trial": "y", "trial_value": "1.5"}, "whole number"),
        ({"kind": "limit", "accessible_during_trial": "y", "trial_value": "-1"}, "whole number"),
        ({"trial_value": "5"}, "Only limit features"),
    ],
)
def test_invalid_feature_is_refused_and_nothing_saved(app, root, fields, message):
    before = activity_count(app)
    response = send(root, "POST", "/platform/features/new", feature_form(**fields), htmx=True)
    assert response.status_code == 422
    assert text(response).startswith('<form id="feature-form"') and message in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Feature.slug.like("%ilot%"))) == 0
    assert activity_count(app) == before


def test_registry_slug_is_taken(app, root):
    response = send(root, "POST", "/platform/features/new", feature_form(slug="automations"))
    assert response.status_code == 422 and "This slug is taken." in text(response)
    assert stored(app, "automations").name == "Medusa Automations"


def test_trial_value_is_stored_canonically(app, root):
    fields = feature_form(kind="limit", accessible_during_trial="y", trial_value=" 007 ")
    assert send(root, "POST", "/platform/features/new", fields).status_code == 303
    assert stored(app, "pilot_toggle").trial_value == "7"


# -- edit -------------------------------------------------------------------------------------


def test_edit_writes_the_changed_fields_only(app, root):
    make_custom_feature(app)
    versions = config_versions(app)
    page = root.get("/platform/features/pilot_toggle/edit")
    assert page.status_code == 200 and 'value="Pilot"' in text(page)
    fields = feature_form(name="Pilot, renamed", description="")
    response = send(root, "POST", "/platform/features/pilot_toggle/edit", fields, htmx=True)
    assert response.status_code == 200 and location_path(response) == "/platform/features"
    assert stored(app, "pilot_toggle").name == "Pilot, renamed"
    (row,) = activity_rows(app, "feature.updated")
    assert row.before == {"name": "Pilot"} and row.after == {"name": "Pilot, renamed"}
    assert row.actor_label == "root@example.com"
    assert config_versions(app)["feature_definitions"] == versions["feature_definitions"] + 1


def test_kind_changes_while_nothing_references_the_feature(app, root):
    make_custom_feature(app)
    fields = feature_form(name="Pilot", description="", kind="limit")
    assert send(root, "POST", "/platform/features/pilot_toggle/edit", fields).status_code == 303
    assert stored(app, "pilot_toggle").kind == "limit"


def test_referenced_feature_kind_is_locked(app, root):
    make_custom_feature(app)
    with in_platform(app):
        plan = definitions.create_plan(ACTOR, slug="growth", name="Growth")
        grants.set_grant(ACTOR, plan, definitions.find_feature("pilot_toggle"), "enabled")
    before = activity_count(app)
    form = text(root.get("/platform/features/pilot_toggle/edit"))
    assert "Locked: used by 1 plan grant." in form and 'disabled id="kind"' in form
    fields = feature_form(name="Pilot", description="", kind="limit")
    response = send(root, "POST", "/platform/features/pilot_toggle/edit", fields, htmx=True)
    assert response.status_code == 422 and "The kind cannot change" in text(response)
    assert stored(app, "pilot_toggle").kind == "boolean" and activity_count(app) == before


def test_turning_deprecating_on_asks_to_confirm_with_the_tenant_count(app, root, make_tenant):
    for _ in range(3):
        make_tenant()
    fields = feature_form(name="Medusa Automations", description="", deprecating="y")
    path = "/platform/features/automations/edit"
    first = send(root, "POST", path, fields, htmx=True)
    assert first.status_code == 422
    assert "grants this feature to all 3 tenants" in text(first)
    assert 'name="confirm_deprecating"' in text(first)
    assert stored(app, "automations").deprecating is False
    assert activity_rows(app, "feature.updated") == []
    second = send(root, "POST", path, {**fields, "confirm_deprecating": "y"}, htmx=True)
    assert second.status_code == 200 and stored(app, "automations").deprecating is True
    (row,) = activity_rows(app, "feature.updated")
    assert row.before["deprecating"] is False and row.after["deprecating"] is True


# -- delete -----------------------------------------------------------------------------------


def test_registry_feature_cannot_be_deleted(app, root):
    page = root.get("/platform/features/automations/delete")
    assert page.status_code == 200 and "declared in code" in text(page)
    assert "Delete feature</button>" not in text(page)
    response = send(root, "POST", "/platform/features/automations/delete", htmx=True)
    assert response.status_code == 422 and "cannot be deleted" in text(response)
    assert text(response).startswith('<div id="feature-delete"')
    assert stored(app, "automations") is not None
    assert activity_rows(app, "feature.deleted") == []


def test_referenced_feature_cannot_be_deleted(app, root, tenant_factory):
    make_custom_feature(app)
    with in_platform(app):
        tenant = tenant_factory(commit=False)
        feature = definitions.find_feature("pilot_toggle")
        overrides.set_override(ACTOR, tenant, feature, "enabled", "pilot customer", None)
    response = send(root, "POST", "/platform/features/pilot_toggle/delete")
    assert response.status_code == 422 and "1 tenant override" in text(response)
    assert stored(app, "pilot_toggle") is not None


def test_unreferenced_custom_feature_is_deleted_after_confirming(app, root):
    make_custom_feature(app)
    versions, before = config_versions(app), activity_count(app)
    page = text(root.get("/platform/features/pilot_toggle/delete"))
    assert "Delete feature</button>" in page and "for good?" in page
    response = send(root, "POST", "/platform/features/pilot_toggle/delete", htmx=True)
    assert response.status_code == 200 and location_path(response) == "/platform/features"
    assert stored(app, "pilot_toggle") is None
    assert activity_count(app) == before + 1
    (row,) = activity_rows(app, "feature.deleted")
    assert row.before["slug"] == "pilot_toggle" and row.after is None
    assert row.actor_label == "root@example.com"
    now = config_versions(app)
    assert now["feature_definitions"] == versions["feature_definitions"] + 1
    assert now["feature_catalog"] == versions["feature_catalog"] + 1
