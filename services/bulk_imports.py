"""Bulk assignment (spec 30 §8.2): an uploaded CSV is checked whole and queued, then applied
row by row in chunks that commit with their counters, so a retried run resumes where the last
commit stopped and never assigns a row twice."""

from __future__ import annotations

import hashlib
import io
import logging
import uuid as uuid_lib
from collections.abc import Callable
from datetime import timedelta
from itertools import islice
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import BulkImport, BulkImportRow
from app.models.commerce_enums import BulkImportStatus, BulkRowOutcome, GatewayType
from app.models.tenancy import User
from services import activity, bulk_csv, users
from services.assignments import AlreadyActive, refuse_if_active
from services.bulk_csv import RowPlan, Targets, plan_row, report_rows  # noqa: F401
from services.dispatch import enqueue_after_commit
from services.errors import Conflict, NotFound, ValidationError
from services.orders import LineDraft, OrderDraft, create_order
from services.rows import Page, paginate
from services.storage import MissingObject, get_storage, keys
from services.tenancy.helpers import tenant_lock
from services.tenancy.resolver import get_tenant
from services.uploads import display_name

log = logging.getLogger("bulk_imports")

CHUNK = 500
KEEP_FILES = timedelta(days=30)
ACTIVE = (BulkImportStatus.QUEUED, BulkImportStatus.RUNNING)
FINISHED = (BulkImportStatus.COMPLETED, BulkImportStatus.FAILED)
COUNTERS = {
    BulkRowOutcome.CREATED: "created_count",
    BulkRowOutcome.SKIPPED: "skipped_count",
    BulkRowOutcome.INVALID: "invalid_count",
}


def file_key(tenant_uuid, import_uuid) -> str:
    return f"{keys.tenant_prefix(tenant_uuid)}bulk-imports/{uuid_lib.UUID(str(import_uuid))}.csv"


def start_import(
    tenant_id: int,
    actor: activity.Actor,
    fileobj: BinaryIO,
    filename: str,
    *,
    notify_new_users: bool = False,
) -> BulkImport:
    """Check the whole file, store it with its row count and queue the run. A bad file, or
    the same file while an import of it is queued or running, is refused with nothing kept."""
    data = fileobj.read(bulk_csv.MAX_BYTES + 1)
    checked = bulk_csv.read(data)
    digest = hashlib.sha256(data).hexdigest()
    tenant_lock(tenant_id)  # two uploads of one file at once: the second sees the first
    busy = db.session.scalar(
        select(BulkImport.id).where(
            BulkImport.tenant_id == tenant_id,
            BulkImport.file_sha256 == digest,
            BulkImport.status.in_(ACTIVE),
        )
    )
    if busy is not None:
        raise Conflict("This file is already being imported; wait until it finishes.", "file")
    row = BulkImport(
        tenant_id=tenant_id,
        uuid=uuid_lib.uuid4(),
        created_by_id=actor.user_id,
        filename=display_name(filename),
        file_sha256=digest,
        status=BulkImportStatus.QUEUED,
        total_rows=checked.rows,
        notify_new_users=bool(notify_new_users),
    )
    row.file_key = file_key(get_tenant(tenant_id).uuid, row.uuid)
    storage = get_storage()
    storage.put(row.file_key, io.BytesIO(data), content_type="text/csv")
    try:
        db.session.add(row)
        db.session.flush()
        activity.record(
            actor,
            "bulk_import.created",
            "bulk_import",
            row.uuid,
            tenant_id=tenant_id,
            after={
                "filename": row.filename,
                "rows": row.total_rows,
                "notify": row.notify_new_users,
            },
        )
        enqueue_after_commit("commerce.process_bulk_import", import_id=row.id)
    except BaseException:
        storage.delete(row.file_key)
        raise
    return row


def get_import(tenant_id: int, import_uuid) -> BulkImport:
    row = db.session.scalar(
        select(BulkImport).where(BulkImport.tenant_id == tenant_id, BulkImport.uuid == import_uuid)
    )
    if row is None:
        raise NotFound("No such import.")
    return row


def list_imports(tenant_id: int, page: int = 1) -> Page:
    query = select(BulkImport).where(BulkImport.tenant_id == tenant_id)
    return paginate(query, (BulkImport.created_at.desc(), BulkImport.id.desc()), page)


def summary(row: BulkImport) -> dict:
    counts = {name.removesuffix("_count"): getattr(row, name) for name in COUNTERS.values()}
    return {"status": row.status, "processed": row.processed_rows, **counts}


def _locked(import_id: int) -> BulkImport | None:
    """The import row, locked until the next commit: two runs of one import take turns."""
    return db.session.scalar(
        select(BulkImport)
        .where(BulkImport.id == import_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _last_row(import_id: int) -> int:
    query = select(func.max(BulkImportRow.row_number)).where(BulkImportRow.import_id == import_id)
    return int(db.session.scalar(query) or 0)


def _seen(import_id: int) -> set[tuple[str, str]]:
    """(email, target) of the rows already applied or skipped: later copies are duplicates."""
    rows = db.session.execute(
        select(BulkImportRow.email, BulkImportRow.target_uuid).where(
            BulkImportRow.import_id == import_id,
            BulkImportRow.outcome != BulkRowOutcome.INVALID,
        )
    )
    return {(email, target) for email, target in rows}


def _actor(row: BulkImport) -> activity.Actor:
    creator = db.session.get(User, row.created_by_id) if row.created_by_id else None
    if creator is None:
        return activity.Actor(label="system:bulk")
    return activity.Actor.for_user(creator)


def _text(row: BulkImport) -> str:
    if not row.file_key:
        raise MissingObject("no file")
    with get_storage().open(row.file_key) as handle:
        return bulk_csv.decode(handle.read())


def process(import_id: int, commit: Callable[[], None], chunk_size: int = CHUNK) -> dict | None:
    """Apply the import's rows in order, `chunk_size` rows per `commit()`. A finished import
    is left alone; a running one resumes after its last recorded row."""
    row = _locked(import_id)
    if row is None:
        return None
    if row.status in FINISHED:
        return summary(row)
    if row.status == BulkImportStatus.QUEUED:
        row.status, row.started_at = BulkImportStatus.RUNNING, utcnow()
    try:
        text = _text(row)
    except (MissingObject, ValidationError):
        failed = fail(import_id, "The uploaded file is no longer readable.")
        commit()
        return failed
    commit()
    run = _Run(row)
    pending = bulk_csv.rows_of(text)
    done = None
    while True:
        row = _locked(import_id)
        last = _last_row(import_id)
        if last != done:  # first chunk, or another run moved on meanwhile
            run.seen = _seen(import_id)
        chunk = list(islice(((n, raw) for n, raw in pending if n > last), chunk_size))
        if not chunk:
            break
        for number, raw in chunk:
            run.apply(row, number, raw)
        row.processed_rows = done = chunk[-1][0]
        commit()
    row.status, row.finished_at = BulkImportStatus.COMPLETED, utcnow()
    activity.record(
        run.actor,
        "bulk_import.completed",
        "bulk_import",
        row.uuid,
        tenant_id=row.tenant_id,
        after=summary(row),
    )
    commit()
    return summary(row)


def fail(import_id: int, message: str) -> dict | None:
    """Mark the import failed with a reason people can read; the caller commits."""
    row = _locked(import_id)
    if row is None or row.status in FINISHED:
        return None if row is None else summary(row)
    row.status, row.error, row.finished_at = BulkImportStatus.FAILED, message[:500], utcnow()
    return summary(row)


class _Run:
    """What one run keeps between rows: the actor, look-up caches and the seen pairs."""

    def __init__(self, row: BulkImport):
        self.tenant_id = row.tenant_id
        self.notify_new_users = row.notify_new_users
        self.actor = _actor(row)
        self.targets = Targets(row.tenant_id, get_tenant(row.tenant_id).tzinfo)
        self.seen: set[tuple[str, str]] = set()

    def apply(self, row: BulkImport, number: int, raw: dict) -> None:
        planned = plan_row(self.targets, raw)
        if planned.outcome is None and planned.key in self.seen:
            planned = planned.skip("duplicate_in_file")
        if planned.outcome is None:
            self.seen.add(planned.key)
        record = BulkImportRow(
            tenant_id=self.tenant_id,
            import_id=row.id,
            row_number=number,
            email=planned.email,
            target_uuid=planned.target_uuid,
            raw=raw,
        )
        try:
            with db.session.begin_nested():
                self._finish(row, record, planned)
                db.session.add(record)
                db.session.flush()
        except IntegrityError:  # another run recorded this row number first
            log.warning("bulk_import.row_taken import=%s row=%s", row.id, number)
            return
        counter = COUNTERS[record.outcome]
        setattr(row, counter, getattr(row, counter) + 1)

    def _finish(self, row: BulkImport, record: BulkImportRow, planned: RowPlan) -> None:
        record.outcome, record.reason = planned.outcome, planned.reason
        if planned.outcome is not None:
            return
        user = self._user(planned.email)
        target = {"plan_id": planned.plan_id, "publication_id": planned.publication_id}
        try:
            refuse_if_active(self.tenant_id, user.id, **target)
        except AlreadyActive:
            record.outcome, record.reason = BulkRowOutcome.SKIPPED, "already_active"
            return
        line = LineDraft(user.id, expires_at=planned.expires_at, **target)
        order = create_order(
            OrderDraft(
                tenant_id=self.tenant_id,
                user_id=user.id,
                gateway_type=GatewayType.BULK,
                lines=(line,),
                actor=self.actor,
                created_by_id=row.created_by_id,
                bulk_import_id=row.id,
            )
        )
        record.outcome, record.order_id = BulkRowOutcome.CREATED, order.id

    def _user(self, email: str) -> User:
        """The store's user with this email, or a new reader without a password."""
        query = select(User).where(User.tenant_id == self.tenant_id, User.email == email)
        user = db.session.scalar(query)
        if user is not None:
            return user
        name = email.split("@", 1)[0][:120] or email[:120]
        try:
            user = users.create_user(self.actor, self.tenant_id, email=email, name=name)
        except Conflict:  # made meanwhile by a sign-up or another import
            return db.session.scalar(query)
        if self.notify_new_users:
            _welcome(user)
        return user


def _welcome(user: User) -> None:
    """The new reader's welcome e-mail with a link to choose a password (sent after commit)."""
    from app.models.tenancy import Tenant
    from services import links, mail

    tenant = db.session.get(Tenant, user.tenant_id)
    context = {"store": tenant.name, "link": links.set_password_url(tenant, user)}
    mail.send(user.email, "welcome_reader", context, sender_name=tenant.name)


def purge_files(tenant_id: int, now=None) -> int:
    """Delete the stored files of imports that ended more than 30 days ago; returns how many
    (for the daily housekeeping job, once it is scheduled)."""
    cutoff = (now or utcnow()) - KEEP_FILES
    rows = db.session.scalars(
        select(BulkImport).where(
            BulkImport.tenant_id == tenant_id,
            BulkImport.file_key.is_not(None),
            BulkImport.finished_at < cutoff,
        )
    ).all()
    storage = get_storage()
    for item in rows:
        storage.delete(item.file_key)
        item.file_key = None
    db.session.flush()
    return len(rows)
