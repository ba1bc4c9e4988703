"""GET /library/filter and /library/search: the grid, facets, chips, sort, the active search and
its gate (acceptance 7 and 18)."""

from __future__ import annotations

import pytest

from services import activity
from services.features import kill_switches
from services.inventory.search_index import reindex_publication
from tests.functional.conftest import in_platform, text
from tests.functional.store.conftest import GOOGLEBOT, HX
from tests.unit.services.storefront import builders as b

ACTOR = activity.Actor(label="tests")
SECRET = "bypass-secret-2025"
SEARCH_BOX = 'hx-get="/library/search" hx-trigger="input changed delay:300ms, search"'


@pytest.fixture
def catalogue(stock):
    with stock() as tenant_id:
        genre = b.taxonomy(tenant_id, "Genre", "genre")
        fiction = b.term(genre, "Fiction", "fiction")
        b.term(genre, "Poetry", "poetry")
        novel = b.publication(tenant_id, "Steppenwolf", language="de")
        b.credit(novel, "Hermann Hesse")
        b.tag(tenant_id, novel, fiction)
        b.publication(tenant_id, "Walden", file_type="epub")
        b.publication(tenant_id, "Siddhartha audio", file_type="audio", is_free=True)
        for item_id in _ids(tenant_id):
            reindex_publication(item_id)
    return tenant_id


def _ids(tenant_id):
    from sqlalchemy import select

    from app.extensions import db
    from app.models.catalog import Publication

    return list(
        db.session.scalars(select(Publication.id).where(Publication.tenant_id == tenant_id))
    )


def switch_search_off(app):
    with in_platform(app):
        kill_switches.toggle_switch(ACTOR, "storefront_search", False, "a reason of ten characters")


# -- /library/filter ----------------------------------------------------------------------------


def test_library_page_has_facets_grid_sort_and_noindex(visitor, catalogue):
    response = visitor().get("/library/filter")
    page = text(response)
    assert response.status_code == 200 and "<html" in page
    assert response.headers["X-Robots-Tag"] == "noindex, follow"
    assert 'id="results"' in page
    assert all(title in page for title in ("Steppenwolf", "Walden", "Siddhartha audio"))
    assert 'href="/library/filter?genre=fiction"' in page and ">Poetry<" in page
    assert 'href="/library/filter?file_type=epub"' in page
    assert 'href="/library/filter?language=de"' in page and "German" in page
    assert '<select name="orderBy">' in page
    assert 'hx-target="#results"' in page and 'hx-push-url="true"' in page


def test_library_meta_robots_is_noindex_follow(visitor, catalogue):
    page = text(visitor().get("/library/filter"))
    assert '<meta name="robots" content="noindex,follow">' in page


def test_a_filter_narrows_the_grid_and_shows_a_removable_chip(visitor, catalogue):
    page = text(visitor().get("/library/filter?genre=fiction"))
    assert "Steppenwolf" in page and "Walden" not in page
    assert "Genre: Fiction" in page
    assert 'class="chip" href="/library/filter"' in page
    assert 'class="active" aria-current="true">Fiction<' in page


def test_a_one_term_taxonomy_facet_swaps_its_term(visitor, catalogue):
    page = text(visitor().get("/library/filter?genre=fiction&file_type=pdf"))
    assert 'href="/library/filter?file_type=pdf&amp;genre=poetry"' in page
    assert 'href="/library/filter?genre=fiction&amp;file_type=pdf&amp;file_type=epub"' in page


def test_library_over_htmx_is_the_results_fragment(visitor, catalogue):
    response = visitor().get("/library/filter?file_type=epub", headers=HX)
    fragment = text(response)
    assert response.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="results" class="library">')
    assert "Walden" in fragment and "Steppenwolf" not in fragment
    assert "HX-Request" in response.headers["Vary"]


GARBAGE = (
    "?file_type=exe&file_type=pdf&years=abcd&month=2024-13&page=-5&per_page=99999"
    "&orderBy=drop%20table&%FF%FE=1&genre=missing&genre=fiction&genre=poetry"
    "&contributor=not-a-uuid&bisac=xx&audience=aliens&language=zz&utm_source=news&fbclid=1"
    "&q=%22foo%20OR%20bar*&recommended=maybe&my_issues=1&continue_reading=yes&free_issues=0"
    "&latest_issues=&&=&%00=%00&" + "&".join(f"x{n}=y" for n in range(60))
)


@pytest.mark.parametrize("headers", [None, HX])
def test_any_garbage_query_string_answers_200(visitor, catalogue, headers):
    response = visitor().get("/library/filter" + GARBAGE, headers=headers)
    assert response.status_code == 200


def test_personal_views_for_a_guest_ask_to_sign_in(visitor, catalogue):
    page = text(visitor().get("/library/filter?my_issues=my_issues"))
    assert 'id="sign-in-needed"' in page and "Steppenwolf" not in page


# -- /library/search ----------------------------------------------------------------------------


def test_search_box_renders_with_the_active_search_attributes(visitor, catalogue):
    page = text(visitor().get("/"))
    assert SEARCH_BOX in page and 'hx-target="#search-results"' in page
    assert 'action="/library/filter"' in page  # plain form without JavaScript


def test_search_over_htmx_is_the_preview_fragment(visitor, catalogue):
    response = visitor().get("/library/search?q=hesse", headers=HX)
    fragment = text(response)
    assert response.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="search-results"')
    assert "Steppenwolf" in fragment and "Walden" not in fragment
    assert 'href="/library/filter?q=hesse"' in fragment and "See all results" in fragment


def test_search_preview_shows_at_most_eight(visitor, stock):
    with stock() as tenant_id:
        items = [b.publication(tenant_id, f"Atlas volume {n}") for n in range(10)]
        for item in items:
            reindex_publication(item.id)
    fragment = text(visitor().get("/library/search?q=atlas", headers=HX))
    assert fragment.count('class="search-hit"') == 8


def test_search_without_htmx_goes_to_the_full_results(visitor, catalogue):
    response = visitor().get("/library/search?q=walden")
    assert response.status_code == 303
    assert response.headers["Location"] == "/library/filter?q=walden"
    assert "HX-Request" in response.headers["Vary"]


def test_a_short_query_shows_nothing(visitor, catalogue):
    fragment = text(visitor().get("/library/search?q=w", headers=HX))
    assert "hidden" in fragment and "search-hit" not in fragment


def test_search_in_the_library_shows_the_query(visitor, catalogue):
    page = text(visitor().get("/library/filter?q=walden"))
    assert "Results for “walden”" in page and "Walden" in page and "Steppenwolf" not in page


# -- acceptance 18: the search gate -------------------------------------------------------------


def assert_search_denied(client):
    assert client.get("/library/search?q=walden").status_code == 404
    assert client.get("/library/search?q=walden", headers=HX).status_code == 404
    assert SEARCH_BOX not in text(client.get("/"))
    page = text(client.get("/library/filter?q=walden"))
    assert "Steppenwolf" in page and "Walden" in page  # q ignored: nothing narrowed
    assert "Results for" not in page


def test_kill_switch_off_denies_search(app, visitor, catalogue):
    switch_search_off(app)
    assert_search_denied(visitor())


def test_a_crawler_gets_no_search(visitor, catalogue):
    assert_search_denied(visitor(GOOGLEBOT))


def test_a_valid_bypass_header_restores_search_for_the_crawler(other_app, visitor, catalogue):
    gated = other_app(CRAWLER_BYPASS_SECRET=SECRET)
    crawler = visitor(GOOGLEBOT, application=gated)
    assert crawler.get("/library/search?q=walden").status_code == 404
    good = {"X-Bypass-Crawler-Detection": SECRET}
    response = crawler.get("/library/search?q=walden", headers={**HX, **good})
    assert response.status_code == 200 and "Walden" in text(response)
    assert SEARCH_BOX in text(crawler.get("/", headers=good))
    wrong = {"X-Bypass-Crawler-Detection": "not-the-secret"}
    assert crawler.get("/library/search?q=walden", headers=wrong).status_code == 404
