"""The publications table: page and fragment, filters, sort, pages, quota meter, who gets in
(spec 70 §6, §10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.functional.conftest import host_of, text
from tests.functional.dashboard.publications.conftest import HTMX, set_limit

URL = "/dashboard/publications"


def test_page_lists_owned_publications_with_state_and_quota(admin, alpha, add_publication):
    add_publication(alpha, "Draft Atlas")
    later = datetime.now(UTC) + timedelta(days=3)
    add_publication(alpha, "Future Atlas", published_at=later)
    add_publication(alpha, "Live Atlas", published_at=datetime(2024, 3, 1, 12, tzinfo=UTC))
    response = admin.get(URL)
    assert response.status_code == 200
    page = text(response)
    assert "<html" in page and "HX-Request" in response.headers["Vary"]
    for title in ("Draft Atlas", "Future Atlas", "Live Atlas"):
        assert title in page
    assert "Draft" in page and "Scheduled" in page and "2024-03-01" in page
    assert "Uploaded — waiting for processing" in page
    assert "3 of 20 publications" in page
    assert 'id="upload-button" href="/dashboard/publications/new"' in page
    assert '<a href="/dashboard/publications" aria-current="page">Publications</a>' in page


def test_filters_answer_the_table_fragment_over_htmx(admin, alpha, add_publication):
    add_publication(alpha, "Sea Atlas", file_type="epub")
    add_publication(alpha, "Mountain Guide")
    response = admin.get(f"{URL}?q=atlas", headers=HTMX)
    assert response.status_code == 200
    fragment = text(response)
    assert fragment.startswith('<div id="publications-table"')
    assert "<html" not in fragment
    assert "Sea Atlas" in fragment and "Mountain Guide" not in fragment
    by_type = text(admin.get(f"{URL}?file_type=pdf", headers=HTMX))
    assert "Mountain Guide" in by_type and "Sea Atlas" not in by_type
    nothing = text(admin.get(f"{URL}?status=ready", headers=HTMX))
    assert "No publications match." in nothing


def test_invalid_filter_values_are_ignored(admin, alpha, add_publication):
    add_publication(alpha, "Sea Atlas")
    response = admin.get(f"{URL}?status=bogus&sort=nope&term=x&source=zzz&page=-3")
    assert response.status_code == 200
    assert "Sea Atlas" in text(response)


def test_sort_by_title_and_25_a_page(app, admin, alpha, publishing, add_publication):
    set_limit(app, publishing, "unlimited")
    for n in range(26):
        add_publication(alpha, f"Title {n:02d}")
    first = text(admin.get(f"{URL}?sort=title"))
    assert "Title 00" in first and "Title 24" in first and "Title 25" not in first
    assert "Page 1 of 2 (26)" in first
    second = text(admin.get(f"{URL}?sort=title&page=2", headers=HTMX))
    assert "Title 25" in second and "Title 00" not in second
    assert first.index("Title 01") < first.index("Title 02")


def test_shared_items_show_with_their_source_and_the_source_filter(
    admin, alpha, beta, add_publication, share_with
):
    _, uuid = add_publication(beta, "Borrowed Tales")
    add_publication(alpha, "Own Tales")
    share_with(beta, uuid, "alpha")
    page = text(admin.get(URL))
    assert "Borrowed Tales" in page and "from Beta Press" in page
    shared = text(admin.get(f"{URL}?source=shared", headers=HTMX))
    assert "Borrowed Tales" in shared and "Own Tales" not in shared
    assert 'data-source="shared"' in shared


def test_other_stores_publications_never_list(admin, beta, add_publication):
    add_publication(beta, "Beta Secret")
    assert "Beta Secret" not in text(admin.get(URL))


def test_upload_is_disabled_with_the_reason_at_the_limit(
    app, admin, alpha, publishing, add_publication
):
    set_limit(app, publishing, "1")
    add_publication(alpha, "Only One")
    page = text(admin.get(URL))
    assert "1 of 1 publications" in page
    assert '<button type="button" id="upload-button" disabled' in page
    assert "Your platform plan allows up to 1 publications; 1 in use." in page


def test_unlimited_quota_reads_unlimited(app, admin, publishing):
    set_limit(app, publishing, "unlimited")
    page = text(admin.get(URL))
    assert "Unlimited" in page and 'id="upload-button" href=' in page


def test_reader_gets_403_and_guest_is_sent_to_login(alpha, make_user, signed_in, host_client):
    reader = signed_in(host_of(alpha), make_user(tenant=alpha).email)
    assert reader.get(URL).status_code == 403
    assert reader.get(URL, headers=HTMX).status_code == 403
    response = host_client(host_of(alpha)).get(URL)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/dashboard/publications"


def test_cover_thumbnail_is_a_signed_media_url(app, admin, alpha, add_publication, storage_root):
    from app.extensions import db
    from app.models.catalog import Publication
    from services.tenancy.context import tenant_scope

    publication_id, uuid = add_publication(alpha, "Covered Atlas")
    with app.app_context(), tenant_scope(alpha.id):
        key = f"t/{alpha.uuid}/p/{uuid}/cover-abc.webp"
        db.session.get(Publication, publication_id).cover_key = key
        db.session.commit()
    row = text(admin.get(URL))
    row = row[row.index(f'id="publication-{uuid}"') :]
    assert f'<img src="/media/{key}?' in row[: row.index("</tr>")]
