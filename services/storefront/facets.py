"""The facet sidebar of `/library/filter`: the tenant's taxonomies and terms, the formats,
languages and audiences its catalogue holds, each value a link that toggles it (spec 70 §5.2)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError

from app.extensions import db
from app.models.catalog import AUDIENCES, Publication
from services.catalog.scope import catalog_reads, visible_publications
from services.catalog.taxonomies import taxonomies_with_terms
from services.catalog.versions import catalog_version
from services.storefront.cache import CACHE_KEY_PREFIX, load, store

LIBRARY_PATH = "/library/filter"
FILE_TYPE_LABELS = {"pdf": "PDF", "epub": "EPUB", "audio": "Audiobook"}
AUDIENCE_LABELS = {
    "general": "General",
    "children": "Children",
    "young_adult": "Young adult",
    "school": "School",
    "higher_education": "Higher education",
    "professional": "Professional",
    "elt": "English language teaching",
    "adult_education": "Adult education",
}
ORDER_CHOICES = (("published_at", "Newest"), ("title", "Title"), ("sales", "Best selling"))


@dataclass
class FacetOption:
    label: str
    param: str
    value: str
    active: bool
    url: str


@dataclass
class FacetGroup:
    title: str
    options: list[FacetOption] = field(default_factory=list)


def library_url(pairs: Iterable[tuple[str, str]]) -> str:
    pairs = list(pairs)
    return f"{LIBRARY_PATH}?{urlencode(pairs)}" if pairs else LIBRARY_PATH


def toggle_url(pairs: list[tuple[str, str]], param: str, value: str, *, single=False) -> str:
    """The current query with (param, value) added or removed, back on page 1; a `single`
    parameter (a taxonomy taking one term) swaps its value instead of adding one."""
    kept = [(k, v) for k, v in pairs if k != "page"]
    if (param, value) in kept:
        kept.remove((param, value))
    else:
        if single:
            kept = [(k, v) for k, v in kept if k != param]
        kept.append((param, value))
    return library_url(kept)


def language_name(code: str, locale: str) -> str:
    try:
        names = Locale.parse(locale.replace("-", "_")).languages
    except (UnknownLocaleError, ValueError):
        names = Locale("en").languages
    return names.get(code, code).capitalize() if code else code


def _catalogue_values(tenant_id: int) -> tuple[set[str], set[str], set[str]]:
    """Formats, languages and audiences present in the tenant's live catalogue: one DISTINCT
    over the whole catalogue, so it is cached under the catalogue version (any publication
    change bumps it)."""
    key = f"{CACHE_KEY_PREFIX}:{tenant_id}:{catalog_version(tenant_id)}:facet-values"
    cached = load(key)
    if cached is None:
        query = visible_publications(tenant_id).with_only_columns(
            Publication.file_type, Publication.language, Publication.audience
        )
        with catalog_reads("storefront: facet values of a tenant's catalogue"):
            rows = db.session.execute(query.distinct()).all()
        cached = {
            "file_types": sorted({row.file_type for row in rows}),
            "languages": sorted({row.language for row in rows}),
            "audiences": sorted({row.audience for row in rows if row.audience}),
        }
        store(key, cached)
    return set(cached["file_types"]), set(cached["languages"]), set(cached["audiences"])


def library_facets(
    tenant_id: int, pairs: list[tuple[str, str]], *, locale: str = "en", signed_in: bool = False
) -> list[FacetGroup]:
    """Facet groups for the sidebar; `pairs` is the current query string as (name, value)."""
    current = set(pairs)

    def group(
        title: str, values: Iterable[tuple[str, str, str]], single=False
    ) -> FacetGroup | None:
        options = [
            FacetOption(
                label,
                param,
                value,
                (param, value) in current,
                toggle_url(pairs, param, value, single=single),
            )
            for param, value, label in values
        ]
        return FacetGroup(title, options) if options else None

    file_types, languages, audiences = _catalogue_values(tenant_id)
    show = [
        ("free_issues", "free_issues", "Free only"),
        ("latest_issues", "latest_issues", "Last 30 days"),
    ]
    if signed_in:
        show += [
            ("my_issues", "my_issues", "My publications"),
            ("continue_reading", "continue_reading", "Continue reading"),
        ]
    groups = [group("Show", show)]
    for taxonomy in taxonomies_with_terms(tenant_id):
        terms = [(taxonomy.slug, t.slug, t.name) for t in taxonomy.terms]
        groups.append(group(taxonomy.name, terms, single=taxonomy.max_filter_terms == 1))
    formats = [("file_type", v, label) for v, label in FILE_TYPE_LABELS.items() if v in file_types]
    groups.append(group("Format", formats))
    names = sorted((language_name(code, locale), code) for code in languages)
    groups.append(group("Language", [("language", code, name) for name, code in names]))
    audience = [("audience", v, AUDIENCE_LABELS[v]) for v in AUDIENCES if v in audiences]
    groups.append(group("Audience", audience))
    return [g for g in groups if g is not None]
