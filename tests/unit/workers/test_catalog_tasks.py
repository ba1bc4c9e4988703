"""Catalogue tasks (spec 70 §9): re-indexing a publication and releasing scheduled ones; each
runs twice without doing more the second time."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import JobRun
from app.models.catalog import Publication
from services.catalog import publications, releases, shares, versions
from services.catalog.scope import catalog_reads
from services.features import grants
from services.tenancy import tenant_scope
from tests.unit.services.catalog.helpers import ACTOR, create, make_plan
from workers.tasks import catalog as catalog_tasks


@pytest.fixture
def celery(app):
    return app.extensions["celery"]


@pytest.fixture
def make_publisher(platform, tenant_factory, celery):
    def make():
        tenant = tenant_factory(status="active")
        grants.assign_plan(ACTOR, tenant, make_plan("10"))
        db.session.commit()
        return tenant

    return make


def _search_state(publication_id: int):
    """The publication's search data as the backend keeps it."""
    if db.session.get_bind().dialect.name == "postgresql":
        with catalog_reads("tests: a publication's search vector"):
            return db.session.scalar(
                select(Publication.search_vector).where(Publication.id == publication_id)
            )
    return db.session.execute(text("SELECT rowid, title FROM catalog_fts ORDER BY rowid")).all()


def _clear_search_state(publication_id: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        with catalog_reads("tests: forget a publication's search vector"):
            db.session.execute(
                text("UPDATE publications SET search_vector = NULL WHERE id = :id"),
                {"id": publication_id},
            )
    else:
        db.session.execute(text("DELETE FROM catalog_fts"))
    db.session.commit()


def test_reindex_publication_does_not_repeat(make_publisher, celery):
    tenant = make_publisher()
    publication = create(tenant, "Zebrafish almanac", live=True)
    _clear_search_state(publication.id)
    assert not _search_state(publication.id)
    task = celery.tasks[catalog_tasks.REINDEX_PUBLICATION]
    first = task.apply(kwargs={"publication_id": publication.id, "tenant_id": tenant.id})
    assert first.get() == {"publication_id": publication.id}
    indexed = _search_state(publication.id)
    assert "zebrafish" in str(indexed).lower()
    task.apply(kwargs={"publication_id": publication.id, "tenant_id": tenant.id}).get()
    assert _search_state(publication.id) == indexed


def test_release_scheduled_bumps_holders_once(make_publisher, celery):
    owner, target = make_publisher(), make_publisher()
    publication = create(owner, "Out now")
    with tenant_scope(owner.id):
        row = publications.owned_publication(owner.id, publication.uuid)
        shares.share(ACTOR, owner.id, row, target.slug)
        publications.update_publication(
            ACTOR,
            owner.id,
            row,
            status="ready",
            published_at=datetime.now(UTC) - timedelta(seconds=20),
        )
        db.session.commit()
    task = celery.tasks[catalog_tasks.RELEASE_SCHEDULED]
    tokens = versions.catalog_version(owner.id), versions.catalog_version(target.id)
    assert task.apply(kwargs={}).get() == {"examined": 2, "updated": 2}
    after_first = versions.catalog_version(owner.id), versions.catalog_version(target.id)
    assert after_first[0] != tokens[0] and after_first[1] != tokens[1]
    assert task.apply(kwargs={}).get() == {"examined": 0, "updated": 0}
    assert (versions.catalog_version(owner.id), versions.catalog_version(target.id)) == after_first
    runs = db.session.scalars(
        select(JobRun.status).where(JobRun.job_name == catalog_tasks.RELEASE_SCHEDULED)
    ).all()
    assert runs == ["succeeded", "succeeded"]


def test_a_scheduled_item_counts_only_once_its_time_has_passed(make_publisher, platform):
    tenant = make_publisher()
    at = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)
    create(tenant, "Scheduled", status="ready", published_at=at)
    create(tenant, "Still processing", status="processing", published_at=at)
    before = at - timedelta(minutes=2)
    assert releases.release_scheduled(now=at - timedelta(minutes=1), since=before)["updated"] == 0
    token = versions.catalog_version(tenant.id)
    minute_later = at + timedelta(minutes=1)
    assert releases.release_scheduled(now=minute_later, since=at - timedelta(minutes=1)) == {
        "examined": 1,
        "updated": 1,
    }
    assert versions.catalog_version(tenant.id) != token


def test_the_release_job_runs_every_minute(app):
    entry = app.extensions["celery"].conf.beat_schedule["catalog-release-scheduled"]
    assert entry["task"] == "catalog.release_scheduled"
    assert entry["schedule"].minute == set(range(60))


def test_delete_files_does_not_repeat(app, make_publisher, celery, tmp_path, monkeypatch):
    """Deleting a publication deletes its stored files after commit; a second run finds none
    and a live publication's files are never touched."""
    from services.storage import get_storage

    monkeypatch.setitem(app.config, "STORAGE_URL", f"file://{tmp_path / 'storage'}")
    tenant = make_publisher()
    with tenant_scope(tenant.id):
        doomed, kept = create(tenant, "Doomed"), create(tenant, "Kept")
        db.session.commit()
        storage = get_storage()
        for publication in (doomed, kept):
            key = f"t/{tenant.uuid}/p/{publication.uuid}/source.pdf"
            storage.put(key, io.BytesIO(b"%PDF-1.7"), content_type="application/pdf")
        publications.delete_publication(ACTOR, tenant.id, doomed)
        db.session.commit()  # the eager task ran after this commit
        assert list(storage.list(f"t/{tenant.uuid}/p/{doomed.uuid}/")) == []
        assert list(storage.list(f"t/{tenant.uuid}/p/{kept.uuid}/")) != []
        task = celery.tasks[catalog_tasks.DELETE_FILES]
        kwargs = {"publication_id": doomed.id, "tenant_id": tenant.id}
        assert task.apply(kwargs=kwargs).get() == {"deleted": 0}
        live = {"publication_id": kept.id, "tenant_id": tenant.id}
        assert task.apply(kwargs=live).get() == {"deleted": 0}
        assert list(storage.list(f"t/{tenant.uuid}/p/{kept.uuid}/")) != []
