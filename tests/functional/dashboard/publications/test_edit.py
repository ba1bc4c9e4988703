"""The edit page: owner metadata, contributors, BISAC, terms, prices, flags; the narrower form
of shared items; delete; 404 for other stores' publications (spec 70 §6, §10)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.activity import Activity
from app.models.catalog import BisacSubject, Publication
from app.models.storefront import CatalogEntry
from services.catalog import access, bisac, contributors, prices, taxonomies
from services.tenancy.context import platform_scope, tenant_scope
from tests.functional.conftest import in_platform, text
from tests.functional.dashboard.publications.conftest import ACTOR, HTMX
from tests.support.htmx import location_path


def edit_url(uuid: str) -> str:
    return f"/dashboard/publications/{uuid}"


def form_data(client, uuid: str, **overrides) -> dict:
    data = {
        "csrf_token": client.csrf(edit_url(uuid)),
        "title": "The Sea Atlas",
        "description_html": "",
        "language": "en",
        "audience": "",
        "contributors-0-name": "",
        "contributors-0-role": "author",
        "bisac-0": "",
        "bisac-1": "",
        "bisac-2": "",
        "published_at": "",
        "edition_prefix": "",
        "edition_date": "",
        "price_usd": "",
        "enabled": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def load(app, tenant_id: int, publication_id: int) -> dict:
    with app.app_context(), platform_scope("tests: any tenant's publication"):
        row = db.session.get(Publication, publication_id)
    with app.app_context(), tenant_scope(tenant_id):
        entry = db.session.scalar(
            select(CatalogEntry).where(
                CatalogEntry.tenant_id == tenant_id, CatalogEntry.publication_id == publication_id
            )
        )
        return {
            "publication": row,
            "entry": None if entry is None else (entry.enabled, entry.is_featured),
            "prices": dict(prices.prices_for(tenant_id, [publication_id]).get(publication_id, [])),
            "credits": contributors.credits_of(publication_id),
            "bisac": bisac.codes_of(publication_id),
            "terms": taxonomies.terms_of(tenant_id, publication_id),
            "actions": set(
                db.session.scalars(select(Activity.action).where(Activity.tenant_id == tenant_id))
            ),
        }


@pytest.fixture
def atlas(alpha, add_publication):
    return add_publication(alpha, "The Sea Atlas")


def test_page_and_fragment(admin, atlas):
    _, uuid = atlas
    page = admin.get(edit_url(uuid))
    assert page.status_code == 200
    assert "<html" in text(page) and 'id="publication-form"' in text(page)
    assert "Uploaded — waiting for processing" in text(page)
    assert "hx-confirm=" in text(page)  # the delete button confirms
    fragment = admin.get(edit_url(uuid), headers=HTMX)
    assert text(fragment).startswith('<form id="publication-form"')
    assert "HX-Request" in fragment.headers["Vary"]


def test_saving_every_field(app, admin, alpha, atlas):
    publication_id, uuid = atlas
    with app.app_context(), tenant_scope(alpha.id):
        taxonomy = taxonomies.create_taxonomy(ACTOR, alpha.id, name="Genre", slug="genre")
        term = taxonomies.create_term(ACTOR, alpha.id, taxonomy.uuid, name="Maps")
        db.session.commit()
        term_id = term.id
    data = form_data(
        admin,
        uuid,
        title="A New Atlas",
        description_html="<p>Hi <script>alert(1)</script><b>there</b></p>",
        language="fr",
        audience="children",
        **{"contributors-0-name": "Ada Lovelace", "contributors-0-role": "author"},
        **{"contributors-1-name": "Bo Li", "contributors-1-role": "editor"},
        **{"bisac-0": "fic000000"},
        published_at="2024-05-01T10:00",
        is_physical="y",
        price_usd="12.50",
        is_featured="y",
        edition_prefix="LT_XML",
        edition_date="2024-05-02",
        terms=str(term_id),
    )
    response = admin.post(edit_url(uuid), data=data)
    assert response.status_code == 303, text(response)
    assert response.headers["Location"] == edit_url(uuid)
    saved = load(app, alpha.id, publication_id)
    row = saved["publication"]
    assert (row.title, row.language, row.audience) == ("A New Atlas", "fr", "children")
    assert "script" not in row.description_html and "<b>there</b>" in row.description_html
    # 10:00 in Buenos Aires (UTC-3) is 13:00 UTC.
    assert row.published_at == datetime(2024, 5, 1, 13, tzinfo=UTC)
    assert row.is_physical and not row.is_free
    assert (row.edition_prefix, row.edition_date) == ("LT_XML", date(2024, 5, 2))
    assert saved["prices"] == {"USD": 1250}
    assert saved["credits"] == [("Ada Lovelace", "author"), ("Bo Li", "editor")]
    assert saved["bisac"] == ["FIC000000"]
    assert saved["terms"] == [term_id]
    assert saved["entry"] == (True, True)
    assert {"publication.update", "publication.prices", "publication.contributors"} <= saved[
        "actions"
    ]
    page = text(admin.get(edit_url(uuid)))
    assert 'value="2024-05-01T10:00"' in page and 'value="12.50"' in page


def test_bad_price_rerenders_with_the_field_error_and_saves_nothing(app, admin, alpha, atlas):
    publication_id, uuid = atlas
    data = form_data(admin, uuid, title="Changed", price_usd="12.345")
    response = admin.post(edit_url(uuid), data=data, headers=HTMX)
    assert response.status_code == 422
    assert text(response).startswith('<form id="publication-form"')
    assert "USD takes at most 2 decimals." in text(response)
    assert load(app, alpha.id, publication_id)["publication"].title == "The Sea Atlas"


def test_bad_bisac_and_bad_language_are_field_errors(admin, atlas):
    _, uuid = atlas
    bad_code = admin.post(edit_url(uuid), data=form_data(admin, uuid, **{"bisac-0": "FIC12"}))
    assert bad_code.status_code == 422
    assert "A BISAC code is 3 letters, 6 digits." in text(bad_code)
    bad_language = admin.post(edit_url(uuid), data=form_data(admin, uuid, language="xx"))
    assert bad_language.status_code == 422
    assert "Not a valid choice" in text(bad_language)


def test_free_publication_drops_its_prices(app, admin, alpha, atlas):
    publication_id, uuid = atlas
    assert admin.post(edit_url(uuid), data=form_data(admin, uuid, price_usd="5")).status_code == 303
    assert load(app, alpha.id, publication_id)["prices"] == {"USD": 500}
    data = form_data(admin, uuid, is_free="y", price_usd="5")
    assert admin.post(edit_url(uuid), data=data).status_code == 303
    saved = load(app, alpha.id, publication_id)
    assert saved["publication"].is_free and saved["prices"] == {}


def test_contributor_rows_are_added_and_removed_without_saving(app, admin, alpha, atlas):
    publication_id, uuid = atlas
    data = form_data(admin, uuid, title="Not saved", contributor_op="add")
    data["contributors-0-name"] = "Ada"
    added = admin.post(edit_url(uuid), data=data, headers=HTMX)
    assert added.status_code == 200
    assert 'name="contributors-1-name"' in text(added) and 'value="Ada"' in text(added)
    data.update({"contributors-1-name": "Bo", "contributor_op": "remove-0"})
    removed = text(admin.post(edit_url(uuid), data=data))
    assert "<html" in removed
    assert 'value="Bo"' in removed and 'value="Ada"' not in removed
    assert load(app, alpha.id, publication_id)["publication"].title == "The Sea Atlas"


def test_shared_item_takes_only_terms_prices_and_flags(
    app, admin, alpha, beta, add_publication, share_with
):
    publication_id, uuid = add_publication(beta, "Borrowed Tales")
    share_with(beta, uuid, "alpha")
    page = text(admin.get(edit_url(uuid)))
    assert 'id="entry-form"' in page and "Beta Press owns this publication" in page
    assert 'name="title"' not in page
    data = {
        "csrf_token": admin.csrf(edit_url(uuid)),
        "title": "Hacked",
        "price_usd": "3",
        "is_featured": "y",
    }
    response = admin.post(edit_url(uuid), data=data, headers=HTMX)
    assert response.status_code == 200 and location_path(response) == edit_url(uuid)
    saved = load(app, alpha.id, publication_id)
    assert saved["publication"].title == "Borrowed Tales"
    assert saved["prices"] == {"USD": 300}
    assert saved["entry"] == (False, True)  # the box was left unticked: hidden from the store
    assert load(app, beta.id, publication_id)["prices"] == {}
    assert admin.get(f"{edit_url(uuid)}/shares").status_code == 404


def test_other_stores_publication_is_404(admin, beta, add_publication):
    _, uuid = add_publication(beta, "Beta Secret")
    assert admin.get(edit_url(uuid)).status_code == 404
    token = admin.csrf("/dashboard/publications/new")
    for path in (edit_url(uuid), f"{edit_url(uuid)}/delete", f"{edit_url(uuid)}/shares"):
        assert admin.post(path, data={"csrf_token": token}).status_code == 404, path
    assert admin.get("/dashboard/publications/not-a-uuid").status_code == 404


def test_delete_confirmed_and_refused(app, admin, alpha, atlas, add_publication):
    publication_id, uuid = atlas
    refuse = access.register_direct_grant_check(lambda pid: pid == publication_id)
    try:
        token = admin.csrf(edit_url(uuid))
        refused = admin.post(
            f"{edit_url(uuid)}/delete", data={"delete-csrf_token": token}, headers=HTMX
        )
    finally:
        access.unregister(refuse)
    assert refused.status_code == 409
    assert text(refused).startswith('<p id="delete-result"')
    assert "unpublish it instead" in text(refused)
    deleted = admin.post(
        f"{edit_url(uuid)}/delete", data={"delete-csrf_token": token}, headers=HTMX
    )
    assert deleted.status_code == 200
    assert location_path(deleted) == "/dashboard/publications"
    assert load(app, alpha.id, publication_id)["publication"].deleted_at is not None
    assert admin.get(edit_url(uuid)).status_code == 404


def test_bisac_autocomplete(app, admin):
    with in_platform(app) as session:
        session.merge(BisacSubject(code="FIC000000", heading="FICTION / General"))
        session.merge(BisacSubject(code="HIS000000", heading="HISTORY / General"))
    response = admin.get("/dashboard/publications/bisac?bisac-0=fic", headers=HTMX)
    assert response.status_code == 200
    assert text(response).startswith('<datalist id="bisac-options">')
    assert "FICTION / General" in text(response) and "HISTORY" not in text(response)
    by_heading = text(admin.get("/dashboard/publications/bisac?bisac-1=history"))
    assert 'value="HIS000000"' in by_heading
