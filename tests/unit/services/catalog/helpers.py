"""Helpers of the catalogue tests: the actor, a plan with an `issues_limit`, publications made
through the services in their tenant's context."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from app.extensions import db
from services import activity
from services.catalog import publications
from services.features import definitions, grants
from services.tenancy import tenant_scope

ACTOR = activity.Actor(label="tests")
PAST = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def make_plan(issues_limit: str | None):
    plan = definitions.create_plan(ACTOR, slug=f"p{secrets.token_hex(4)}", name="Catalogue plan")
    if issues_limit is not None:
        grants.set_grant(ACTOR, plan, definitions.find_feature("issues_limit"), issues_limit)
    return plan


def create(tenant, title: str = "A title", *, live: bool = False, commit: bool = True, **fields):
    """A publication of `tenant` made in its context; `live`: ready and published."""
    with tenant_scope(tenant.id):
        publication = publications.create_publication(
            ACTOR,
            tenant.id,
            title=title,
            file_type=fields.pop("file_type", "pdf"),
            language=fields.pop("language", "en"),
            **fields,
        )
        if live:
            publications.update_publication(
                ACTOR, tenant.id, publication, status="ready", published_at=PAST
            )
        if commit:
            db.session.commit()
        return publication


def recently() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=30)
