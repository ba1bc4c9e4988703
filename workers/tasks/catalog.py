"""Catalogue jobs: re-index a publication after a change, release scheduled publications
(spec 70 §9)."""

from __future__ import annotations

from app.extensions import db
from services import jobs
from services.catalog import releases
from services.inventory import search_index
from workers.tasks.names import REINDEX_PUBLICATION, RELEASE_SCHEDULED


def register(celery) -> None:
    @celery.task(name=REINDEX_PUBLICATION, base=celery.TenantTask, bind=True, shared=False)
    def reindex_publication(self, publication_id: int, tenant_id: int) -> dict:
        search_index.reindex_publication(publication_id)
        db.session.commit()
        return {"publication_id": publication_id}

    @celery.task(name=RELEASE_SCHEDULED, base=celery.PlatformTask, bind=True, shared=False)
    def release_scheduled(self, trigger: str = "beat") -> dict:
        counts = jobs.recorded(
            RELEASE_SCHEDULED, releases.release_scheduled, trigger, self.request.id
        )
        db.session.commit()
        return counts
