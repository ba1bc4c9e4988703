"""Fixtures of the publications control panel: a store on a plan with `issues_limit`, its
signed-in admin, and publications made through the catalogue services."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models.features import PlatformPlan
from app.models.tenancy import Tenant
from services import activity
from services.features import definitions, grants
from services.tenancy.context import tenant_scope
from tests.functional.conftest import host_of, in_platform

ACTOR = activity.Actor(label="tests")
HTMX = {"HX-Request": "true"}


def set_limit(app, plan_id: int, value: str | None) -> None:
    with in_platform(app):
        plan = db.session.get(PlatformPlan, plan_id)
        feature = definitions.find_feature("issues_limit")
        if value is None:
            grants.remove_grant(ACTOR, plan, feature)
        else:
            grants.set_grant(ACTOR, plan, feature, value)


@pytest.fixture
def publishing(app):
    """Plan Publishing with issues_limit 20; returns its id."""
    with in_platform(app):
        plan = definitions.create_plan(ACTOR, slug="publishing", name="Publishing")
        grants.set_grant(ACTOR, plan, definitions.find_feature("issues_limit"), "20")
        plan_id = plan.id
    return plan_id


def put_on_plan(app, tenant, plan_id: int) -> None:
    with in_platform(app):
        plan = db.session.get(PlatformPlan, plan_id)
        grants.assign_plan(ACTOR, db.session.get(Tenant, tenant.id), plan)


@pytest.fixture
def alpha(app, make_tenant, publishing):
    tenant = make_tenant(
        slug="alpha", name="Alpha Books", timezone="America/Argentina/Buenos_Aires"
    )
    put_on_plan(app, tenant, publishing)
    return tenant


@pytest.fixture
def beta(app, make_tenant, publishing):
    tenant = make_tenant(slug="beta", name="Beta Press")
    put_on_plan(app, tenant, publishing)
    return tenant


@pytest.fixture
def admin_user(alpha, make_user):
    return make_user(tenant=alpha, admin=True)


@pytest.fixture
def admin(alpha, admin_user, signed_in):
    return signed_in(host_of(alpha), admin_user.email)


@pytest.fixture
def beta_admin(beta, make_user, signed_in):
    return signed_in(host_of(beta), make_user(tenant=beta, admin=True).email)


@pytest.fixture
def add_publication(app):
    """Creates (and commits) a publication of `tenant` through the catalogue service;
    returns (id, uuid string)."""
    from services.catalog import publications

    def add(tenant, title="The Sea Atlas", **fields):
        fields.setdefault("file_type", "pdf")
        fields.setdefault("language", "en")
        with app.app_context(), tenant_scope(tenant.id):
            row = publications.create_publication(ACTOR, tenant.id, title=title, **fields)
            db.session.commit()
            return row.id, str(row.uuid)

    return add


@pytest.fixture
def storage_root(app, tmp_path, monkeypatch):
    """Uploads land in a fresh directory for this test."""
    root = tmp_path / "storage"
    root.mkdir()
    monkeypatch.setitem(app.config, "STORAGE_URL", f"file://{root}")
    return root


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def share_with(app):
    """Shares `owner`'s publication with the store `target_slug` through the service."""
    from services.catalog import publications, shares

    def share(owner, publication_uuid: str, target_slug: str) -> str:
        with app.app_context(), tenant_scope(owner.id):
            publication = publications.owned_publication(owner.id, publication_uuid)
            row = shares.share(ACTOR, owner.id, publication, target_slug)
            db.session.commit()
            return str(row.uuid)

    return share
