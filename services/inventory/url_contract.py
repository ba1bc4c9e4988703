"""The public `/library/filter` URL contract (spec 70 §5.2): parameter names, reserved names, and
the parser that turns any query string into listing input plus active-filter chips."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from app.data.iso639_1 import is_valid as is_language
from app.data.iso639_1 import name_of as language_name
from app.extensions import db
from services.inventory.filters import (
    URL_PARAMS,
    AcceptedFilter,
    InventoryFilter,
    dropped,
    url_param,
    validate_filters,
)
from services.inventory.lookups import ContributorRef, Lookups, TermRef
from services.inventory.options import FeatureGates
from services.inventory.paging import clean_page, clean_per_page
from services.inventory.search import normalise_query

# Every parameter of the contract; a taxonomy slug may not take one of these names.
CONTRACT_PARAMS = frozenset(
    {
        "file_type",
        "language",
        "free_issues",
        "latest_issues",
        "years",
        "month",
        "contributor",
        "bisac",
        "audience",
        "recommended",
        "my_issues",
        "continue_reading",
        "orderBy",
        "q",
        "page",
        "per_page",
    }
)
TRACKING_PARAMS = frozenset({"fbclid", "gclid"})
OTHER_RESERVED = frozenset({"next", "shelf", "csrf_token"})
RESERVED_PARAMS = CONTRACT_PARAMS | TRACKING_PARAMS | OTHER_RESERVED

LIBRARY_PATH = "/library/filter"
ORDER_VALUES = ("sales", "published_at", "title")
MAX_PARAMS = 100  # a longer query string is garbage; the rest is dropped with one log line
# URL parameter -> filter member, for the members named directly in the URL (not taxonomies).
FILTER_PARAMS = {
    url_param(member): member
    for member in InventoryFilter
    if member is not InventoryFilter.TAXONOMY
}
ALL_GATES = FeatureGates(search=True, search_terms=True, recommended=True)


def is_tracking(name: str) -> bool:
    """Campaign parameters: ignored silently, never logged."""
    return name.startswith("utm_") or name in TRACKING_PARAMS


def is_reserved(name: str) -> bool:
    return name in RESERVED_PARAMS or name.startswith("utm_")


@dataclass(frozen=True)
class Chip:
    """An active filter: what it shows and the URL without it."""

    label: str
    remove_url: str


@dataclass
class LibraryQuery:
    """What a `/library/filter` query string asks for, valid parts only."""

    specs: list[tuple[str, str]] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    q: str | None = None
    order: str | None = None
    page: int = 1
    per_page: int = 12
    chips: list[Chip] = field(default_factory=list)
    params: list[tuple[str, str]] = field(default_factory=list)  # canonical, without page

    def url(self, **changes) -> str:
        """This query's URL with parameters replaced (page=2, orderBy=None removes it)."""
        pairs = [(k, v) for k, v in self.params if k not in changes]
        return library_url(pairs, **changes)


def library_url(pairs: Iterable[tuple[str, object]] | None = None, /, **params) -> str:
    """`/library/filter` with `pairs` then `params` (a list value repeats the parameter; None
    leaves it out)."""
    items: list[tuple[str, str]] = [(k, str(v)) for k, v in pairs or () if v is not None]
    for name, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        items.extend((name, str(v)) for v in values if v is not None)
    return f"{LIBRARY_PATH}?{urlencode(items)}" if items else LIBRARY_PATH


def _pairs(args) -> list[tuple[str, str]]:
    if args is None:
        return []
    if isinstance(args, str | bytes):
        text = args.decode("utf-8", "replace") if isinstance(args, bytes) else args
        return parse_qsl(text.lstrip("?"), keep_blank_values=True)
    if hasattr(args, "items") and hasattr(args, "getlist"):
        return [(str(k), str(v)) for k, v in args.items(multi=True)]
    if isinstance(args, Mapping):
        found = []
        for key, value in args.items():
            values = value if isinstance(value, list | tuple) else [value]
            found.extend((str(key), "" if v is None else str(v)) for v in values)
        return found
    return [(str(k), "" if v is None else str(v)) for k, v in args]


def _canonical(item: AcceptedFilter) -> tuple[str, str]:
    """The URL pair of an accepted filter value."""
    value = item.value
    if isinstance(value, TermRef):
        return value.taxonomy_slug, value.term_slug
    if isinstance(value, ContributorRef):
        return "contributor", value.uuid
    if value is True:
        return url_param(item.member), url_param(item.member)
    if item.member is InventoryFilter.MONTH:
        return "month", f"{value[0]:04d}-{value[1]:02d}"
    return url_param(item.member), str(value)


def _spec(item: AcceptedFilter) -> tuple[str, str]:
    param, value = _canonical(item)
    if item.member is InventoryFilter.TAXONOMY:
        return "taxonomy", f"{param}:{value}"
    return item.member.value, value


def parse_library_query(
    args, tenant_id: int, *, gates: FeatureGates | None = None, session=None
) -> LibraryQuery:
    """Parse any query string (MultiDict, mapping, pairs or raw string); never raises on input.
    Tracking parameters are ignored silently; unknown names and invalid values are dropped and
    logged. With `gates`, `q` and `recommended` need their gate."""
    session = session or db.session
    gates = gates or ALL_GATES
    lookups = Lookups(session, tenant_id)
    result = LibraryQuery()
    leading: list[tuple[str, str, str]] = []  # (param, value, chip label) before the filters
    specs: list[tuple[str, str]] = []
    raw: list[tuple[str, str]] = []
    seen_single: set[str] = set()
    pairs = _pairs(args)
    if len(pairs) > MAX_PARAMS:
        dropped(tenant_id, "*", f"{len(pairs) - MAX_PARAMS} more parameters", "too_many")
        pairs = pairs[:MAX_PARAMS]
    for name, value in pairs:
        if is_tracking(name) or name in OTHER_RESERVED:
            continue
        if name in ("q", "page", "per_page", "orderBy"):
            if name in seen_single:
                continue  # the first one counts
            seen_single.add(name)
        if name == "q":
            _parse_q(result, leading, value, tenant_id, gates)
        elif name == "page":
            result.page = clean_page(value)
        elif name == "per_page":
            result.per_page = clean_per_page(value)
            if value.strip() == str(result.per_page):
                result.params.append(("per_page", value.strip()))
        elif name == "orderBy":
            if value in ORDER_VALUES:
                result.order = value
                result.params.append(("orderBy", value))
            else:
                dropped(tenant_id, name, value, "invalid")
        elif name == "language":
            code = value.strip().lower()
            if len(code) == 2 and is_language(code):
                if code not in result.languages:
                    result.languages.append(code)
                    leading.append(("language", code, language_name(code) or code))
            else:
                dropped(tenant_id, name, value, "invalid")
        elif name in FILTER_PARAMS:
            specs.append((FILTER_PARAMS[name].value, value))
            raw.append((name, value))
        elif name in lookups.taxonomy_slugs() and not is_reserved(name):
            specs.append(("taxonomy", f"{name}:{value}"))
            raw.append((name, value))
        else:
            dropped(tenant_id, name, value, "unknown")
    accepted = validate_filters(specs, tenant_id=tenant_id, lookups=lookups, gates=gates, raw=raw)
    result.specs = [_spec(item) for item in accepted]
    labelled = leading + [(*_canonical(item), item.label) for item in accepted]
    filter_pairs = [(param, value) for param, value, _ in labelled]
    result.params = filter_pairs + result.params
    extras = result.params[len(filter_pairs) :]
    for index, (_, _, label) in enumerate(labelled):
        remaining = filter_pairs[:index] + filter_pairs[index + 1 :] + extras
        result.chips.append(Chip(label, library_url(remaining)))
    return result


def _parse_q(result: LibraryQuery, leading: list, value: str, tenant_id: int, gates) -> None:
    if not gates.search:
        if value.strip():
            dropped(tenant_id, "q", value, "gate")
        return
    q = normalise_query(value)
    if q is not None:
        result.q = q
        leading.append(("q", q, f"“{q}”"))


__all__ = [
    "RESERVED_PARAMS",
    "URL_PARAMS",
    "Chip",
    "LibraryQuery",
    "library_url",
    "parse_library_query",
]
