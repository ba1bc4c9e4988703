"""The /library/filter URL contract (spec 70 §5.2; acceptance 7): parsing, chips, garbage."""

from __future__ import annotations

import logging
import random
import string
from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from services.inventory.options import FeatureGates
from services.inventory.url_contract import (
    RESERVED_PARAMS,
    is_reserved,
    library_url,
    parse_library_query,
)
from services.tenancy import tenant_scope
from tests.unit.services.inventory.conftest import listing, titles


def parse(shop, query, **kwargs):
    with tenant_scope(shop):
        return parse_library_query(query, shop, **kwargs)


@pytest.fixture
def genre_shop(catalog, shop):
    genre = catalog.taxonomy(shop, "keyword", name="Keyword", max_filter_terms=2)
    hesse = catalog.term(shop, genre, "hesse", name="Hesse")
    item = catalog.publication(shop, "Steppenwolf", contributors=[("Hermann Hesse", "author")])
    catalog.publication(shop, "Other")
    catalog.tag(shop, item, hesse)
    return shop


def test_every_contract_parameter_is_reserved():
    for name in ("file_type", "language", "free_issues", "years", "orderBy", "q", "page"):
        assert name in RESERVED_PARAMS
    assert is_reserved("utm_campaign") and is_reserved("csrf_token") and not is_reserved("genre")


def test_a_full_query_becomes_specs_languages_order_and_paging(genre_shop, catalog, caplog):
    shop = genre_shop
    author = catalog.contributor_uuid(shop, "Hermann Hesse")
    args = MultiDict(
        [
            ("file_type", "pdf"),
            ("keyword", "hesse"),
            ("contributor", author),
            ("free_issues", "free_issues"),
            ("years", "2024"),
            ("month", "2024-03"),
            ("language", "EN"),
            ("q", "  wolf  "),
            ("orderBy", "title"),
            ("page", "3"),
            ("per_page", "24"),
            ("utm_source", "mail"),
            ("fbclid", "x"),
            ("shelf", "abc"),
        ]
    )
    with caplog.at_level(logging.INFO, logger="inventory.filters"):
        query = parse(shop, args)
    assert caplog.text == ""  # tracking and known names are silent
    assert query.specs == [
        ("file_type", "pdf"),
        ("taxonomy", "keyword:hesse"),
        ("contributor", author),
        ("free", "free_issues"),
        ("year", "2024"),
        ("month", "2024-03"),
    ]
    assert (query.languages, query.q, query.order) == (["en"], "wolf", "title")
    assert (query.page, query.per_page) == (3, 24)
    labels = [chip.label for chip in query.chips]
    assert labels == [
        "English",
        "“wolf”",
        "PDF",
        "Keyword: Hesse",
        "Hermann Hesse",
        "Free",
        "2024",
        "March 2024",
    ]
    removed = dict(parse_qsl(urlsplit(query.chips[3].remove_url).query))
    assert "keyword" not in removed and removed["file_type"] == "pdf"
    assert removed["orderBy"] == "title" and "page" not in removed and "utm_source" not in removed


def test_specs_from_the_parser_drive_the_listing(genre_shop):
    query = parse(genre_shop, "keyword=hesse&unknown=1")
    assert titles(listing(genre_shop, filters=query.specs)) == ["Steppenwolf"]


def test_unknown_and_invalid_parameters_are_dropped_and_logged(genre_shop, caplog):
    with caplog.at_level(logging.INFO, logger="inventory.filters"):
        query = parse(
            genre_shop,
            "colour=red&file_type=docx&keyword=nope&orderBy=price&language=xx&years=99&file_type=epub",
        )
    assert query.specs == [("file_type", "epub")]
    assert [chip.label for chip in query.chips] == ["EPUB"]
    for raw in ("'colour'", "'docx'", "'nope'", "'price'", "'xx'", "'99'"):
        assert raw in caplog.text
    assert query.order is None and query.languages == []


def test_gates_drop_search_and_recommended(genre_shop):
    query = parse(genre_shop, "q=wolf&recommended=recommended", gates=FeatureGates())
    assert query.q is None and query.specs == [] and query.chips == []
    allowed = parse(genre_shop, "q=wolf&recommended=1", gates=FeatureGates(True, False, True))
    assert allowed.q == "wolf" and allowed.specs == [("recommended", "recommended")]


def test_garbage_query_strings_never_raise(genre_shop):
    rng = random.Random(4)
    alphabet = string.printable + "éñ\u202e\x00%&=;[]"
    samples = [
        "",
        "&&&===",
        "page=-1&per_page=1e9&page=99999999999999999999",
        "keyword=" + "a" * 5000,
        "contributor=00000000-0000-0000-0000-000000000000",
        "a[]=1&a[b]=2&%zz=%ff",
        "&".join(f"p{i}=v" for i in range(500)),
    ]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80))) for _ in range(60)]
    for sample in samples:
        query = parse(genre_shop, sample)
        listing(
            genre_shop, filters=query.specs, languages=query.languages, q=query.q, page=query.page
        )


def test_library_url_repeats_lists_and_skips_none():
    assert library_url() == "/library/filter"
    url = library_url([("keyword", "a")], keyword=["b", "c"], page=None, q="x y")
    assert url == "/library/filter?keyword=a&keyword=b&keyword=c&q=x+y"


def test_query_url_replaces_parameters(genre_shop):
    query = parse(genre_shop, "file_type=pdf&page=2&orderBy=sales")
    assert query.url(page=3) == "/library/filter?file_type=pdf&orderBy=sales&page=3"
    assert query.url(orderBy=None) == "/library/filter?file_type=pdf"


def test_other_tenants_taxonomies_are_unknown_here(genre_shop, other_shop, catalog):
    catalog.taxonomy(other_shop, "series")
    query = parse(genre_shop, "series=x")
    assert query.specs == []
