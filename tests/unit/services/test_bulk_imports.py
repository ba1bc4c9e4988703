"""Bulk assignment (spec 30 §8.2; acceptance 50–53): the whole file is checked before anything
is queued, rows end created, skipped or invalid with a reason, and a run resumes safely."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import BulkImport, BulkImportRow, Order, Payment, UserPlan
from app.models.tenancy import User
from services import activity, bulk_csv, bulk_imports
from services.dispatch import PENDING
from services.errors import Conflict, ValidationError
from services.tenancy import tenant_scope
from tests.support.commerce import make_plan, make_publication

ACTOR = activity.Actor(label="admin@shop.example")


class Killed(Exception):
    """Stands for a worker that dies before committing its chunk."""


@pytest.fixture
def storage_root(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_URL", f"file://{tmp_path}")
    return tmp_path


@pytest.fixture
def shop(platform, tenant_factory, storage_root):
    tenant = tenant_factory(status="active")
    with tenant_scope(tenant.id):
        yield tenant


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + "\n".join(lines) + "\n").encode()


def upload(tenant, data: bytes, **options) -> BulkImport:
    """Start an import; the queued run is taken off the commit hook so each test drives it."""
    row = bulk_imports.start_import(tenant.id, ACTOR, io.BytesIO(data), "grants.csv", **options)
    queued = db.session.info.pop(PENDING)
    assert [(name, ids) for name, ids, _ in queued] == [
        ("commerce.process_bulk_import", {"import_id": row.id, "tenant_id": tenant.id})
    ]
    return row


def run(row: BulkImport, **options) -> dict:
    return bulk_imports.process(row.id, db.session.commit, **options)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def outcomes(row: BulkImport) -> list[tuple]:
    return list(
        db.session.execute(
            select(BulkImportRow.row_number, BulkImportRow.outcome, BulkImportRow.reason)
            .where(BulkImportRow.import_id == row.id)
            .order_by(BulkImportRow.row_number)
        )
    )


def test_acceptance_51_too_many_rows_or_bytes_are_refused_before_queueing(shop, storage_root):
    rows = [f"r{n}@example.com,{'0' * 8}-0000-0000-0000-000000000000" for n in range(50_001)]
    too_many = csv_bytes("email,plan", *rows)
    assert len(too_many) < bulk_csv.MAX_BYTES
    too_big = csv_bytes("email,plan", "a@example.com," + "x" * (11 * 1024 * 1024))
    for data, words in ((too_many, "more than 50,000 rows"), (too_big, "larger than 10 MB")):
        with pytest.raises(ValidationError) as refused:
            upload(shop, data)
        assert words in refused.value.message and refused.value.field == "file"
    assert count(BulkImport) == 0 and not list(storage_root.rglob("*.csv"))
    assert not db.session.info.get(PENDING)
    assert bulk_csv.read(csv_bytes("email,plan", *rows[:50_000])).rows == 50_000


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (csv_bytes("mail,plan", "a@example.com,x"), "email, and plan or publication"),
        (csv_bytes("email,expires_at", "a@example.com,2030-01-01"), "email, and plan"),
        (csv_bytes("email,plan"), "no rows"),
        ("email,plan\né@example.com,x\n".encode("latin-1"), "not UTF-8"),
        (b"email,plan\na@example.com,x\x00\n", "not a readable CSV"),
        (b'email,plan\n"a@example.com"x,y\n', "not a readable CSV"),
    ],
)
def test_files_without_a_header_or_readable_rows_are_refused(shop, data, words):
    with pytest.raises(ValidationError) as refused:
        upload(shop, data)
    assert words in refused.value.message
    assert count(BulkImport) == 0


def test_semicolons_and_a_byte_order_mark_are_read(shop):
    checked = bulk_csv.read(csv_bytes("Email;Publication;Expires_At", "a@x.org;p;", bom=True))
    assert (checked.delimiter, checked.header, checked.rows) == (
        ";",
        ("Email", "Publication", "Expires_At"),
        1,
    )
    assert list(bulk_csv.rows_of(checked.text)) == [
        (1, {"Email": "a@x.org", "Publication": "p", "Expires_At": ""})
    ]
    trailing = bulk_csv.read(csv_bytes("email,plan,,", "a@x.org,p,,extra"))
    assert list(bulk_csv.rows_of(trailing.text)) == [(1, {"email": "a@x.org", "plan": "p"})]


def test_upload_stores_the_file_and_queues_one_run(shop, storage_root):
    plan = make_plan(shop.id)
    data = csv_bytes("email,plan", f"a@example.com,{plan.uuid}", "", f"b@example.com,{plan.uuid}")
    row = upload(shop, data, notify_new_users=True)
    assert (row.status, row.total_rows, row.notify_new_users) == ("queued", 2, True)
    assert (storage_root / row.file_key).read_bytes() == data
    with pytest.raises(Conflict):
        upload(shop, data)  # the same file while the first is queued
    db.session.commit()
    assert run(row)["created"] == 2
    assert upload(shop, data).status == "queued"  # finished: the same file may come again


def test_acceptance_50_valid_rows_become_approved_bulk_grants_and_new_readers(shop):
    plan = make_plan(shop.id, type="prepaid", duration_months=12)
    publication = make_publication(shop.id, "Sea Atlas")
    known = User(tenant_id=shop.id, email="known@example.com", name="Known", role="reader")
    db.session.add(known)
    data = csv_bytes(
        "email,plan,publication,expires_at",
        f"known@example.com,{plan.uuid},,",
        f"New.Reader@Example.com,,{publication.uuid},2031-06-30",
        f"third@example.com,{plan.uuid},,",
    )
    row = upload(shop, data)
    assert run(row) == {"status": "completed", "processed": 3, "created": 3, "skipped": 0,
                        "invalid": 0}  # fmt: skip
    orders = db.session.scalars(select(Order).where(Order.bulk_import_id == row.id)).all()
    assert len(orders) == 3
    assert {(o.gateway_type, o.type, o.status, o.amount_minor) for o in orders} == {
        ("bulk", "permission", "approved", 0)
    }
    assert count(Payment, Payment.order_id.in_([o.id for o in orders])) == 0
    new = db.session.scalar(select(User).where(User.email == "new.reader@example.com"))
    assert (new.role, new.password_hash) == ("reader", None)
    line = db.session.scalar(select(UserPlan).where(UserPlan.user_id == new.id))
    assert (line.kind, line.status) == ("single", "approved")
    assert line.expires_at.strftime("%Y-%m-%d %H:%M:%S") == "2031-06-30 23:59:59"  # UTC tenant
    assert row.started_at is not None and row.finished_at is not None


def test_acceptance_52_invalid_rows_keep_their_reason_and_duplicates_are_skipped(shop):
    plan = make_plan(shop.id)
    archived = make_plan(shop.id, archived_at=utcnow())
    external = make_plan(shop.id, type="external", duration_months=12)
    publication = make_publication(shop.id)
    past = (utcnow() - timedelta(days=2)).strftime("%Y-%m-%d")
    data = csv_bytes(
        "email,plan,publication,expires_at,comment",
        f"ok@example.com,{plan.uuid},,,first",
        "not-an-email,,,,",
        "a@example.com,,,,",
        f"a@example.com,{plan.uuid},{publication.uuid},,",
        "a@example.com,2c4f0c2e-0000-4000-8000-000000000000,,,",
        "a@example.com,,nope,,",
        f"a@example.com,{archived.uuid},,,",
        f"a@example.com,{external.uuid},,,",
        f"a@example.com,{plan.uuid},,31/12/2030,",
        f"a@example.com,{plan.uuid},,{past},",
        f"OK@example.com,{plan.uuid},,,=SUM(A1)",
    )
    row = upload(shop, data)
    result = run(row)
    assert (result["created"], result["skipped"], result["invalid"]) == (1, 1, 9)
    assert outcomes(row) == [
        (1, "created", None),
        (2, "invalid", "invalid_email"),
        (3, "invalid", "no_target"),
        (4, "invalid", "both_targets"),
        (5, "invalid", "unknown_plan"),
        (6, "invalid", "unknown_publication"),
        (7, "invalid", "archived_plan"),
        (8, "invalid", "external_not_allowed"),
        (9, "invalid", "invalid_expiry"),
        (10, "invalid", "expiry_in_past"),
        (11, "skipped", "duplicate_in_file"),
    ]
    header, body = bulk_imports.report_rows(row)
    body = list(body)
    assert header == ["email", "plan", "publication", "expires_at", "comment", "row", "outcome",
                      "reason"]  # fmt: skip
    assert [line[-3:] for line in body][0] == [2, "invalid", "invalid_email"]
    assert len(body) == 10 and body[-1][4] == "=SUM(A1)"  # the view neutralises it


def test_acceptance_53_reuploading_an_applied_file_creates_nothing(shop):
    plan = make_plan(shop.id)
    data = csv_bytes("email,plan", *(f"u{n}@example.com,{plan.uuid}" for n in range(4)))
    first = upload(shop, data)
    assert run(first)["created"] == 4
    second = upload(shop, data)
    assert run(second) == {"status": "completed", "processed": 4, "created": 0, "skipped": 4,
                           "invalid": 0}  # fmt: skip
    assert {reason for _, _, reason in outcomes(second)} == {"already_active"}
    assert count(Order, Order.bulk_import_id == second.id) == 0


def test_acceptance_53_a_killed_run_resumes_without_doubles(shop):
    plan = make_plan(shop.id)
    data = csv_bytes("email,plan", *(f"k{n}@example.com,{plan.uuid}" for n in range(7)))
    row = upload(shop, data)
    db.session.commit()
    calls = []

    def dies_on_the_second_chunk():
        calls.append(1)
        if len(calls) == 3:  # the run marked itself running, committed chunk 1, then died
            raise Killed
        db.session.commit()

    with pytest.raises(Killed):
        bulk_imports.process(row.id, dies_on_the_second_chunk, chunk_size=3)
    db.session.rollback()
    db.session.refresh(row)
    assert (row.status, row.processed_rows, row.created_count) == ("running", 3, 3)
    assert run(row, chunk_size=3) == {"status": "completed", "processed": 7, "created": 7,
                                      "skipped": 0, "invalid": 0}  # fmt: skip
    assert [n for n, _, _ in outcomes(row)] == list(range(1, 8))
    assert count(Order, Order.bulk_import_id == row.id) == 7
    assert run(row)["created"] == 7  # finished: a late duplicate delivery changes nothing
    assert count(Order, Order.bulk_import_id == row.id) == 7


def test_a_duplicate_seen_before_the_kill_is_still_a_duplicate_after(shop):
    plan = make_plan(shop.id)
    data = csv_bytes("email,plan", f"d@example.com,{plan.uuid}", "x@example.com,nope",
                     f"D@example.com,{plan.uuid}")  # fmt: skip
    row = upload(shop, data)
    db.session.commit()
    calls = []

    def dies_after_the_first_chunk():
        calls.append(1)
        if len(calls) == 3:
            raise Killed
        db.session.commit()

    with pytest.raises(Killed):
        bulk_imports.process(row.id, dies_after_the_first_chunk, chunk_size=2)
    db.session.rollback()
    run(row, chunk_size=2)
    assert outcomes(row)[-1] == (3, "skipped", "duplicate_in_file")


def test_a_missing_file_fails_the_import_with_a_reason(shop, storage_root):
    row = upload(shop, csv_bytes("email,plan", "a@example.com,x"))
    (storage_root / row.file_key).unlink()
    assert run(row)["status"] == "failed"
    assert "no longer readable" in row.error and row.finished_at is not None


def test_old_files_are_purged_thirty_days_after_the_end(shop, storage_root):
    row = upload(shop, csv_bytes("email,plan", "a@example.com,x"))
    run(row)
    path = storage_root / row.file_key
    assert bulk_imports.purge_files(shop.id) == 0 and path.exists()
    assert bulk_imports.purge_files(shop.id, now=utcnow() + timedelta(days=31)) == 1
    assert not path.exists() and row.file_key is None


def test_new_readers_get_a_welcome_mail_only_when_asked(shop, user_factory):
    from services import mail

    plan = make_plan(shop.id)
    known = user_factory(tenant=shop)
    data = csv_bytes("email,plan", f"new@example.com,{plan.uuid}", f"{known.email},{plan.uuid}")
    mail.outbox.clear()
    row = upload(shop, data, notify_new_users=True)
    db.session.commit()
    run(row)
    assert [m["to"] for m in mail.outbox] == ["new@example.com"]
    assert "/password/reset/" in mail.outbox[0]["body"]
    quiet = upload(shop, csv_bytes("email,plan", f"quiet@example.com,{plan.uuid}"))
    db.session.commit()
    run(quiet)
    assert len(mail.outbox) == 1
