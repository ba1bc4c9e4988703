"""Bulk assignment pages (spec 30 §8.2, §13; acceptance 51, 52, 54): upload, the 413 above the
limit, the polled progress that answers 286 once finished, report.csv, and tenant isolation."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.commerce import BulkImport, Order
from services import activity, bulk_imports
from services.dispatch import PENDING
from services.tenancy.context import tenant_scope
from tests.functional.conftest import host_of, text
from tests.support.commerce import make_plan
from tests.support.htmx import location_path

HTMX = {"HX-Request": "true"}
URL = "/dashboard/bulk-assignments"
ACTOR = activity.Actor(label="tests")


@pytest.fixture(autouse=True)
def storage_root(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_URL", f"file://{tmp_path}")
    return tmp_path


@pytest.fixture
def shop(make_tenant):
    return make_tenant(slug="shop", name="Shop Books")


@pytest.fixture
def admin(shop, make_user, signed_in):
    return signed_in(host_of(shop), make_user(tenant=shop, admin=True).email)


@pytest.fixture
def plan(app, shop):
    with app.app_context(), tenant_scope(shop.id):
        row = make_plan(shop.id, name="Gold")
        db.session.commit()
        return row


def upload(client, content: bytes, headers=None, notify=False):
    data = {"csrf_token": client.csrf(URL), "file": (io.BytesIO(content), "grants.csv")}
    if notify:
        data["notify_new_users"] = "y"
    return client.post(URL, data=data, content_type="multipart/form-data", headers=headers)


def imports(app, shop) -> list[BulkImport]:
    with app.app_context(), tenant_scope(shop.id):
        return list(db.session.scalars(select(BulkImport).order_by(BulkImport.id)))


def queued_import(app, shop, content: bytes) -> BulkImport:
    """An import left queued (its run is never sent), as while a worker is busy."""
    with app.app_context(), tenant_scope(shop.id):
        row = bulk_imports.start_import(shop.id, ACTOR, io.BytesIO(content), "later.csv")
        db.session.info.pop(PENDING)
        db.session.commit()
        return row


def test_list_page_and_fragment(admin):
    page = admin.get(URL)
    assert page.status_code == 200 and "<html" in text(page)
    assert 'id="bulk-upload-form"' in text(page) and "No imports yet." in text(page)
    fragment = admin.get(URL, headers=HTMX)
    assert text(fragment).lstrip().startswith('<div id="bulk-imports"')
    assert "HX-Request" in fragment.headers["Vary"]


def test_upload_runs_the_import_and_the_progress_answers_286_once_finished(app, admin, shop, plan):
    content = (
        "email;plan;note\n"
        f"ana@example.com;{plan.uuid};first\n"
        "not-an-email;;=cmd\n"
        f"ANA@example.com;{plan.uuid};again\n"
    ).encode()
    response = upload(admin, content, headers=HTMX, notify=True)
    assert response.status_code == 200, text(response)
    [row] = imports(app, shop)
    detail = f"{URL}/{row.uuid}"
    assert location_path(response) == detail
    assert (row.status, row.created_count, row.skipped_count, row.invalid_count) == (
        "completed",
        1,
        1,
        1,
    )
    assert row.notify_new_users
    with app.app_context(), tenant_scope(shop.id):
        orders = select(func.count(Order.id)).where(Order.bulk_import_id == row.id)
        assert db.session.scalar(orders) == 1
    progress = admin.get(f"{detail}/progress", headers=HTMX)
    assert progress.status_code == 286
    fragment = text(progress)
    assert fragment.lstrip().startswith('<section id="import-progress"')
    assert "hx-trigger" not in fragment and "1 assigned, 1 skipped, 1 invalid." in fragment
    page = admin.get(detail)
    assert page.status_code == 200 and "<html" in text(page) and "report of rows" in text(page)
    assert admin.get(f"{detail}/progress").status_code == 200  # a plain GET gets the page
    assert text(admin.get(URL)).count(f'href="{detail}"') == 1


def test_a_running_import_keeps_polling(app, admin, shop, plan):
    row = queued_import(app, shop, f"email,plan\nb@example.com,{plan.uuid}\n".encode())
    progress = admin.get(f"{URL}/{row.uuid}/progress", headers=HTMX)
    assert progress.status_code == 200
    assert 'hx-trigger="every 1s"' in text(progress) and "0 of 1 rows" in text(progress)


def test_report_csv_lists_rows_not_created_with_safe_cells(app, admin, shop, plan):
    content = f"email,plan\nc@example.com,{plan.uuid}\n=HYPERLINK(1),{plan.uuid}\n".encode()
    upload(admin, content)
    [row] = imports(app, shop)
    report = admin.get(f"{URL}/{row.uuid}/report.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert "attachment" in report.headers["Content-Disposition"]
    assert text(report).splitlines() == [
        "email,plan,row,outcome,reason",
        f"'=HYPERLINK(1),{plan.uuid},2,invalid,invalid_email",
    ]


def test_another_stores_import_answers_404(app, admin, make_tenant, plan):
    other = make_tenant(slug="other")
    with app.app_context(), tenant_scope(other.id):
        theirs = make_plan(other.id)
        db.session.commit()
    row = queued_import(app, other, f"email,plan\nd@example.com,{theirs.uuid}\n".encode())
    for suffix in ("", "/progress", "/report.csv"):
        assert admin.get(f"{URL}/{row.uuid}{suffix}").status_code == 404


def test_acceptance_51_an_11_mb_request_is_refused_before_reading(app, admin, shop, plan):
    big = b"email,plan\n" + b"x" * (11 * 1024 * 1024)
    plain = upload(admin, big)
    assert plain.status_code == 413 and "larger than 10 MB" in text(plain)
    assert "<html" in text(plain)
    swap = upload(admin, big, headers=HTMX)
    assert swap.status_code == 422
    assert text(swap).lstrip().startswith('<form id="bulk-upload-form"')
    assert imports(app, shop) == []


def test_a_file_without_the_header_is_a_form_error(app, admin, shop):
    response = upload(admin, b"mail,plan\nx@example.com,abc\n", headers=HTMX)
    assert response.status_code == 422
    assert "The first row must name the columns" in text(response)
    assert imports(app, shop) == []


def test_the_same_file_while_queued_is_refused(app, admin, shop, plan):
    content = f"email,plan\ne@example.com,{plan.uuid}\n".encode()
    queued_import(app, shop, content)
    response = upload(admin, content, headers=HTMX)
    assert response.status_code == 422 and "already being imported" in text(response)
    assert len(imports(app, shop)) == 1


def test_upload_without_csrf_token_is_refused(admin):
    data = {"file": (io.BytesIO(b"email,plan\na@b.co,x\n"), "g.csv")}
    response = admin.post(URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
