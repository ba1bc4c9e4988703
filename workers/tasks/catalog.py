"""Catalogue jobs: re-index a publication after a change, delete a deleted publication's files,
release scheduled publications (spec 70 §9)."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from app.extensions import db
from services import jobs
from services.catalog import files, releases
from services.inventory import search_index
from workers.tasks.names import DELETE_FILES, REINDEX_PUBLICATION, RELEASE_SCHEDULED


def register(celery) -> None:
    @celery.task(
        name=REINDEX_PUBLICATION,
        base=celery.TenantTask,
        bind=True,
        shared=False,
        # Transient: a lost connection, or SQLite's "database is locked" when another worker
        # wrote between this transaction's reads and its write (busy_timeout cannot wait
        # there). The task is idempotent, so it simply runs again a little later.
        autoretry_for=(OperationalError,),
        retry_backoff=1,
        retry_backoff_max=30,
        retry_jitter=True,
        max_retries=8,
    )
    def reindex_publication(self, publication_id: int, tenant_id: int) -> dict:
        search_index.reindex_publication(publication_id)
        db.session.commit()
        return {"publication_id": publication_id}

    # Spec 70 §9 puts this on the `low` queue; queues are routed with the processing pipeline,
    # until then every worker consumes the default queue.
    @celery.task(name=DELETE_FILES, base=celery.TenantTask, bind=True, shared=False)
    def delete_files(self, publication_id: int, tenant_id: int) -> dict:
        return {"deleted": files.delete_files(publication_id)}

    @celery.task(name=RELEASE_SCHEDULED, base=celery.PlatformTask, bind=True, shared=False)
    def release_scheduled(self, trigger: str = "beat") -> dict:
        counts = jobs.recorded(
            RELEASE_SCHEDULED, releases.release_scheduled, trigger, self.request.id
        )
        db.session.commit()
        return counts
