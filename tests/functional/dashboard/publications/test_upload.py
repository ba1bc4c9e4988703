"""The upload form: a stored, `uploaded` publication on success; quota and type refusals as form
errors with nothing stored (spec 70 §6, §11 items 2 and 27)."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.catalog import Publication
from app.models.storefront import CatalogEntry
from services.tenancy.context import tenant_scope
from tests.functional.conftest import text
from tests.functional.dashboard.publications.conftest import HTMX, set_limit, stored_files
from tests.support.htmx import location_path

URL = "/dashboard/publications/new"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n" + b"0" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def upload(client, content=PDF, filename="sea-atlas.pdf", title="Sea Atlas", headers=None):
    token = client.csrf(URL)
    data = {"csrf_token": token, "title": title, "language": "es"}
    data["file"] = (io.BytesIO(content), filename)
    return client.post(URL, data=data, content_type="multipart/form-data", headers=headers)


def owned(app, tenant) -> list[Publication]:
    with app.app_context(), tenant_scope(tenant.id):
        rows = db.session.scalars(
            select(Publication)
            .where(Publication.tenant_id == tenant.id, Publication.deleted_at.is_(None))
            .order_by(Publication.id)
        )
        return list(rows)


def test_form_page_and_fragment(admin):
    page = admin.get(URL)
    assert page.status_code == 200
    assert "<html" in text(page) and 'enctype="multipart/form-data"' in text(page)
    assert '<option selected value="en">English (en)</option>' in text(page)
    fragment = admin.get(URL, headers=HTMX)
    assert text(fragment).startswith('<form id="upload-form"')
    assert "HX-Request" in fragment.headers["Vary"]


def test_upload_stores_the_file_and_opens_the_edit_page(app, admin, alpha, storage_root):
    response = upload(admin)
    assert response.status_code == 303, text(response)
    [publication] = owned(app, alpha)
    assert response.headers["Location"] == f"/dashboard/publications/{publication.uuid}"
    assert publication.status == "uploaded"
    assert (publication.title, publication.language, publication.file_type) == (
        "Sea Atlas",
        "es",
        "pdf",
    )
    assert publication.source_filename == "sea-atlas.pdf"
    assert publication.source_size_bytes == len(PDF)
    assert stored_files(storage_root) == [publication.source_key]
    with app.app_context(), tenant_scope(alpha.id):
        entry = db.session.scalar(
            select(CatalogEntry).where(CatalogEntry.publication_id == publication.id)
        )
        assert (entry.tenant_id, entry.source) == (alpha.id, "owned")
    edit = text(admin.get(response.headers["Location"]))
    assert "Uploaded — waiting for processing" in edit


def test_htmx_upload_answers_hx_location_and_empty_title_comes_from_the_file_name(
    app, admin, alpha, storage_root
):
    response = upload(admin, filename="The_Night_Sky.pdf", title="", headers=HTMX)
    assert response.status_code == 200
    [publication] = owned(app, alpha)
    assert location_path(response) == f"/dashboard/publications/{publication.uuid}"
    assert publication.title == "The Night Sky"
    # The GET htmx makes for HX-Location swaps the whole body: it must get the page.
    spec = json.loads(response.headers["HX-Location"])
    assert spec["target"] == "body"
    landed = admin.get(spec["path"], headers={**HTMX, **spec["headers"]})
    assert "<html" in text(landed) and "Uploaded — waiting for processing" in text(landed)
    fragment = admin.get(spec["path"], headers=HTMX)
    assert "<html" not in text(fragment)


def test_wrong_magic_bytes_are_a_clear_form_error_and_nothing_is_stored(
    app, admin, alpha, storage_root
):
    response = upload(admin, content=PNG, filename="atlas.pdf", headers=HTMX)
    assert response.status_code == 422
    fragment = text(response)
    assert fragment.startswith('<form id="upload-form"')
    assert "not a PDF file" in fragment
    assert owned(app, alpha) == [] and stored_files(storage_root) == []
    unsupported = upload(admin, content=PDF, filename="atlas.docx")
    assert unsupported.status_code == 422
    assert "Upload a PDF, EPUB, MP3, M4A or M4B file." in text(unsupported)
    assert "<html" in text(unsupported)


def test_a_file_over_the_request_limit_answers_413_with_the_reason(
    other_app, make_user, alpha, storage_root
):
    from tests.factories import PASSWORD
    from tests.support.hosts import HostClient

    small = other_app(MAX_CONTENT_LENGTH=64 * 1024, STORAGE_URL=f"file://{storage_root}")
    client = HostClient(small.test_client(), "alpha.localhost")
    user = make_user(tenant=alpha, admin=True)
    assert client.login(user.email, PASSWORD).status_code == 303
    response = upload(client, content=PDF + b"0" * (80 * 1024))
    assert response.status_code == 413
    assert "The file is larger than the" in text(response)
    assert stored_files(storage_root) == []


def test_acceptance_2_third_upload_refused_at_limit_two(
    app, admin, alpha, publishing, storage_root, add_publication
):
    set_limit(app, publishing, "2")
    add_publication(alpha, "One")
    add_publication(alpha, "Two")
    response = upload(admin, headers=HTMX)
    assert response.status_code == 422
    assert "Your platform plan allows up to 2 publications; 2 in use." in text(response)
    assert len(owned(app, alpha)) == 2 and stored_files(storage_root) == []
    # A deleted publication frees its slot.
    first = owned(app, alpha)[0]
    token = admin.csrf(f"/dashboard/publications/{first.uuid}")
    deleted = admin.post(
        f"/dashboard/publications/{first.uuid}/delete", data={"delete-csrf_token": token}
    )
    assert deleted.status_code == 303
    assert upload(admin).status_code == 303
    assert len(owned(app, alpha)) == 2


@pytest.mark.parametrize(("limit", "status"), [("unlimited", 303), (None, 422)])
def test_unlimited_never_refuses_and_no_grant_refuses_the_first(
    app, admin, alpha, publishing, storage_root, limit, status
):
    set_limit(app, publishing, limit)
    response = upload(admin)
    assert response.status_code == status
    if limit is None:
        assert "Not included in your platform plan." in text(response)
        assert stored_files(storage_root) == []


def test_shared_entries_do_not_count(
    app, admin, alpha, beta, publishing, storage_root, add_publication, share_with
):
    set_limit(app, publishing, "1")
    _, uuid = add_publication(beta, "Borrowed")
    share_with(beta, uuid, "alpha")
    assert upload(admin).status_code == 303


def test_post_reaches_the_upload_view_not_the_catch_all(admin):
    token = admin.csrf(URL)
    response = admin.post(URL, data={"csrf_token": token})
    assert response.status_code == 422
    assert "Choose a PDF, EPUB, MP3, M4A or M4B file." in text(response)


def test_count_query_matches_the_meter(app, admin, alpha, add_publication):
    add_publication(alpha, "One")
    with app.app_context(), tenant_scope(alpha.id):
        count = db.session.scalar(
            select(func.count()).select_from(Publication).where(Publication.tenant_id == alpha.id)
        )
    assert f"{count} of 20 publications" in text(admin.get(URL))
