"""The bulk assignment job (spec 30 §8.2, §11): applies an uploaded CSV, committing per chunk."""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError

from app.extensions import db
from services import bulk_imports, jobs, order_housekeeping
from services.tenancy import tenant_scope
from workers.tasks.names import PROCESS_BULK_IMPORT, PURGE_BULK_FILES

log = logging.getLogger("workers.bulk_imports")
MAX_RETRIES = 5


def register(celery) -> None:
    @celery.task(
        name=PROCESS_BULK_IMPORT,
        base=celery.TenantTask,
        bind=True,
        shared=False,
        acks_late=True,
        # A lost connection: the committed chunks stay, and the retry resumes after them.
        autoretry_for=(OperationalError,),
        retry_backoff=2,
        retry_backoff_max=60,
        retry_jitter=True,
        max_retries=MAX_RETRIES,
    )
    def process_bulk_import(self, import_id: int, tenant_id: int) -> dict | None:
        try:
            return bulk_imports.process(import_id, commit=db.session.commit)
        except OperationalError:
            db.session.rollback()
            if self.request.retries < MAX_RETRIES:
                raise
            return _failed(import_id, "The database was unavailable; upload the file again.")
        except Exception as exc:  # a permanent error: say so on the import, do not retry
            log.exception("bulk_import.failed import=%s", import_id)
            db.session.rollback()
            return _failed(import_id, f"The import stopped: {exc}")

    @celery.task(
        name=PURGE_BULK_FILES,
        base=celery.PlatformTask,
        bind=True,
        shared=False,
        acks_late=True,
        kill_switch="commerce_housekeeping",
    )
    def purge_bulk_files(self, trigger: str = "beat") -> dict:
        """Uploaded CSVs are deleted 30 days after their import ended (spec 30 §13)."""

        def work() -> dict:
            deleted = 0
            for tenant_id in order_housekeeping.tenant_ids():
                with tenant_scope(tenant_id):
                    deleted += bulk_imports.purge_files(tenant_id)
                    db.session.commit()
            return {"updated": deleted}

        counts = jobs.recorded(PURGE_BULK_FILES, work, trigger, self.request.id)
        db.session.commit()
        return counts


def _failed(import_id: int, message: str) -> dict | None:
    result = bulk_imports.fail(import_id, message)
    db.session.commit()
    return result
