"""The twelve inventory filters (spec 70 §3.1–3.2): names, one validator per filter, and the
validation pass that drops and logs what it cannot apply. Query builders: filter_queries.py."""

from __future__ import annotations

import logging
import re
import uuid as uuid_lib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from app.models.catalog import AUDIENCES, FILE_TYPES
from services.inventory.lookups import ContributorRef, Lookups, TermRef
from services.inventory.options import FeatureGates

log = logging.getLogger("inventory.filters")

MAX_VALUES = 20  # values applied in total per listing; the rest are dropped
MAX_RAW_LENGTH = 200
LATEST_WINDOW_DAYS = 30
BISAC_PATTERN = re.compile(r"[A-Z]{3}[0-9]{6}")
YEAR_PATTERN = re.compile(r"[0-9]{4}")
MONTH_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})")
MIN_YEAR, MAX_YEAR = 1900, 2100


class InventoryFilter(StrEnum):
    """The only list of filter names."""

    FILE_TYPE = "file_type"
    TAXONOMY = "taxonomy"
    CONTRIBUTOR = "contributor"
    BISAC = "bisac"
    YEAR = "year"
    MONTH = "month"
    FREE = "free"
    LATEST = "latest"
    AUDIENCE = "audience"
    RECOMMENDED = "recommended"
    MY_ISSUES = "my_issues"
    CONTINUE_READING = "continue_reading"


F = InventoryFilter
# The /library/filter parameter of each member (spec 70 §5.2) where it differs from its value.
URL_PARAMS: dict[InventoryFilter, str] = {
    F.FREE: "free_issues",
    F.LATEST: "latest_issues",
    F.YEAR: "years",
}
PERSONAL = frozenset({F.MY_ISSUES, F.CONTINUE_READING})
GATED = {F.RECOMMENDED: "recommended"}

FILE_TYPE_LABELS = {"pdf": "PDF", "epub": "EPUB", "audio": "Audio"}
MONTH_NAMES = (
    "January February March April May June July August September October November December"
).split()


def url_param(member: InventoryFilter) -> str:
    return URL_PARAMS.get(member, member.value)


def member_for(name: str) -> InventoryFilter | None:
    """The member a spec name means: its value or its URL parameter."""
    try:
        return InventoryFilter(name)
    except ValueError:
        pass
    for member, param in URL_PARAMS.items():
        if param == name:
            return member
    return None


@dataclass(frozen=True)
class AcceptedFilter:
    """One value that passed validation, normalised, with the label a chip shows."""

    member: InventoryFilter
    raw_name: str
    raw_value: str
    value: object
    label: str


Validated = tuple[object, str] | None  # (normalised value, label) or None when invalid


def _choice(choices: Iterable[str], labels: Callable[[str], str]):
    allowed = frozenset(choices)

    def validate(value: str, lookups: Lookups) -> Validated:
        v = value.strip().lower()
        return (v, labels(v)) if v in allowed else None

    return validate


def _flag(member: InventoryFilter, label: str):
    accepted = {member.value, url_param(member), "1", "true"}

    def validate(value: str, lookups: Lookups) -> Validated:
        return (True, label) if value.strip().lower() in accepted else None

    return validate


def _taxonomy(value: str, lookups: Lookups) -> Validated:
    taxonomy_slug, sep, term_slug = value.strip().partition(":")
    if not sep:
        return None
    term: TermRef | None = lookups.term(taxonomy_slug, term_slug.strip().lower())
    return None if term is None else (term, f"{term.taxonomy_name}: {term.term_name}")


def parse_uuid(value: str) -> uuid_lib.UUID | None:
    try:
        return uuid_lib.UUID(value.strip())
    except (ValueError, AttributeError):
        return None


def _contributor(value: str, lookups: Lookups) -> Validated:
    key = parse_uuid(value)
    found: ContributorRef | None = lookups.contributor(key) if key else None
    return None if found is None else (found, found.name)


def _bisac(value: str, lookups: Lookups) -> Validated:
    code = value.strip().upper()
    return (code, code) if BISAC_PATTERN.fullmatch(code) else None


def _year(value: str, lookups: Lookups) -> Validated:
    v = value.strip()
    if not YEAR_PATTERN.fullmatch(v) or not MIN_YEAR <= int(v) <= MAX_YEAR:
        return None
    return int(v), v


def _month(value: str, lookups: Lookups) -> Validated:
    match = MONTH_PATTERN.fullmatch(value.strip())
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        return None
    return (year, month), f"{MONTH_NAMES[month - 1]} {year}"


VALIDATORS: dict[InventoryFilter, Callable[[str, Lookups], Validated]] = {
    F.FILE_TYPE: _choice(FILE_TYPES, FILE_TYPE_LABELS.__getitem__),
    F.TAXONOMY: _taxonomy,
    F.CONTRIBUTOR: _contributor,
    F.BISAC: _bisac,
    F.YEAR: _year,
    F.MONTH: _month,
    F.FREE: _flag(F.FREE, "Free"),
    F.LATEST: _flag(F.LATEST, "Latest"),
    F.AUDIENCE: _choice(AUDIENCES, lambda v: v.replace("_", " ").capitalize()),
    F.RECOMMENDED: _flag(F.RECOMMENDED, "Recommended"),
    F.MY_ISSUES: _flag(F.MY_ISSUES, "My issues"),
    F.CONTINUE_READING: _flag(F.CONTINUE_READING, "Continue reading"),
}


def dropped(tenant_id: int, name: object, value: object, reason: str) -> None:
    """Log one value that will not be applied (INFO, logger inventory.filters)."""
    log.info(
        "inventory.filter_dropped tenant=%s name=%r value=%r reason=%s",
        tenant_id,
        str(name)[:MAX_RAW_LENGTH],
        str(value)[:MAX_RAW_LENGTH],
        reason,
    )


def _normalise_spec(spec: object) -> tuple[str, str] | None:
    try:
        name, value = spec  # type: ignore[misc]
    except (TypeError, ValueError):
        return None
    return str(name), "" if value is None else str(value)


def validate_filters(
    specs: Iterable[tuple[str, str]],
    *,
    tenant_id: int,
    lookups: Lookups,
    gates: FeatureGates,
    raw: list[tuple[str, str]] | None = None,
) -> list[AcceptedFilter]:
    """The values to apply, in input order; every other value is dropped and logged (with
    `raw[i]`, the pair as the URL had it, when given for `specs[i]`)."""
    pairs, originals = [], []
    for index, spec in enumerate(specs):
        pair = _normalise_spec(spec)
        if pair is None:
            dropped(tenant_id, spec, "", "malformed")
            continue
        pairs.append(pair)
        originals.append(raw[index] if raw is not None else pair)
    lookups.prime_contributors(
        key
        for name, value in pairs
        if member_for(name) is F.CONTRIBUTOR and (key := parse_uuid(value)) is not None
    )
    accepted: list[AcceptedFilter] = []
    seen: set[tuple[InventoryFilter, object]] = set()
    per_taxonomy: dict[int, int] = {}
    for (name, value), (raw_name, raw_value) in zip(pairs, originals, strict=True):
        member = member_for(name)
        if member is None:
            dropped(tenant_id, raw_name, raw_value, "unknown")
            continue
        if member in GATED and not getattr(gates, GATED[member]):
            dropped(tenant_id, raw_name, raw_value, "gate")
            continue
        result = VALIDATORS[member](value, lookups) if len(value) <= MAX_RAW_LENGTH else None
        if result is None:
            dropped(tenant_id, raw_name, raw_value, "invalid")
            continue
        normalised, label = result
        if (member, normalised) in seen:
            continue  # a repeated value adds nothing
        if isinstance(normalised, TermRef):
            count = per_taxonomy.get(normalised.taxonomy_id, 0)
            if count >= normalised.max_filter_terms:
                dropped(tenant_id, raw_name, raw_value, "over_taxonomy_cap")
                continue
            per_taxonomy[normalised.taxonomy_id] = count + 1
        if len(accepted) >= MAX_VALUES:
            dropped(tenant_id, raw_name, raw_value, "over_total_cap")
            continue
        seen.add((member, normalised))
        accepted.append(AcceptedFilter(member, name, value, normalised, label))
    return accepted
