"""Who may read which publication (spec 70 §1.3 "Access"). Free publications are readable by
any signed-in user now; purchases, assignments and plans come from access providers that
commerce registers (a later issue): until one is registered, only free items are readable
and nothing counts as owned. Guests read nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Publication, PublicationTerm
from services import platform
from services.catalog.scope import catalog_reads, visible_publications

Reason = tuple[str, str | None]  # (reason_type, reason id such as a line or plan uuid)
FREE: Reason = ("free_issue", None)


@dataclass(frozen=True)
class Grants:
    """What a provider grants one user of one tenant: publications directly (a purchase or an
    assignment), the whole catalogue (a plan with scope `all`) or collection terms (a plan
    with scope `collections`), each with the reason a reading view records."""

    publications: Mapping[int, Reason] = field(default_factory=dict)
    all_catalog: Reason | None = None
    collection_terms: Mapping[int, Reason] = field(default_factory=dict)


# fn(tenant_id, user_id, candidate_ids or None for all) -> Grants
GrantsProvider = Callable[[int, int, frozenset[int] | None], Grants]
_providers: list[GrantsProvider] = []
# fn(publication_id) -> True while any line of any tenant grants that publication directly
_direct_checks: list[Callable[[int], bool]] = []


def register_provider(fn: GrantsProvider) -> GrantsProvider:
    if fn not in _providers:
        _providers.append(fn)
    return fn


def register_direct_grant_check(fn: Callable[[int], bool]) -> Callable[[int], bool]:
    if fn not in _direct_checks:
        _direct_checks.append(fn)
    return fn


def unregister(fn) -> None:
    for registry in (_providers, _direct_checks):
        if fn in registry:
            registry.remove(fn)


def granted_anywhere(publication_id: int) -> bool:
    """True while any tenant's line grants this publication directly (deletion is refused)."""
    return any(check(publication_id) for check in _direct_checks)


def _grants(tenant_id: int, user_id: int, candidates: frozenset[int] | None) -> list[Grants]:
    return [provider(tenant_id, user_id, candidates) for provider in _providers]


def _catalogue_ids(tenant_id: int, candidates: frozenset[int] | None, free_only: bool) -> set[int]:
    """Ids of the tenant's catalogue (unpublished included: readers keep what they have)."""
    query = visible_publications(tenant_id, candidates, live_only=False).with_only_columns(
        Publication.id
    )
    if free_only:
        query = query.where(Publication.is_free.is_(True))
    with catalog_reads("catalog: readable publications of a tenant's catalogue"):
        return set(db.session.scalars(query))


def _tagged(tenant_id: int, term_ids: Iterable[int], candidates: frozenset[int] | None) -> set:
    query = select(PublicationTerm.publication_id).where(
        PublicationTerm.tenant_id == tenant_id, PublicationTerm.term_id.in_(list(term_ids))
    )
    if candidates is not None:
        query = query.where(PublicationTerm.publication_id.in_(candidates))
    with catalog_reads("catalog: publications a tenant tagged with collection terms"):
        return set(db.session.scalars(query))


def _granted(tenant_id: int, user_id: int, candidates: frozenset[int] | None) -> dict[int, Reason]:
    """Publication id -> reason for everything providers grant (free alone is not a grant)."""
    granted: dict[int, Reason] = {}
    for grants in _grants(tenant_id, user_id, candidates):
        if grants.all_catalog is not None:
            for pid in _catalogue_ids(tenant_id, candidates, free_only=False):
                granted.setdefault(pid, grants.all_catalog)
        by_term = dict(grants.collection_terms)
        if by_term:
            for term_id, reason in by_term.items():
                for pid in _tagged(tenant_id, [term_id], candidates):
                    granted.setdefault(pid, reason)
        for pid, reason in grants.publications.items():
            if candidates is None or pid in candidates:
                granted.setdefault(pid, reason)
    if granted:
        # A grant only counts for what is in the tenant's catalogue (and not deleted).
        keep = _catalogue_ids(tenant_id, frozenset(granted), free_only=False)
        granted = {pid: reason for pid, reason in granted.items() if pid in keep}
    return granted


def _newest(ids: set[int], limit: int) -> set[int]:
    query = (
        select(Publication.id)
        .where(Publication.id.in_(ids))
        .order_by(Publication.published_at.desc().nulls_last(), Publication.id.desc())
        .limit(limit)
    )
    with catalog_reads("catalog: the readable-issues cap"):
        return set(db.session.scalars(query))


def readable_ids(
    tenant_id: int, user_id: int | None, candidate_ids: Iterable[int] | None = None
) -> set[int]:
    """The ids (among `candidate_ids`, or the whole catalogue) the user can read: free ones
    plus what providers grant, cut to the 500 most recently published while the platform
    caps readable issues. Guests read nothing."""
    if user_id is None:
        return set()
    candidates = None if candidate_ids is None else frozenset(candidate_ids)
    if candidates is not None and not candidates:
        return set()
    cap = platform.readable_issues_cap()
    # The cap is over the user's whole readable set, so it needs all of it.
    scope = None if cap is not None else candidates
    readable = _catalogue_ids(tenant_id, scope, free_only=True)
    readable |= set(_granted(tenant_id, user_id, scope))
    if cap is not None and len(readable) > cap:
        readable = _newest(readable, cap)
    return readable if candidates is None else readable & candidates


def read_access(tenant_id: int, user_id: int | None, publication) -> Reason | None:
    """Why the user may read `publication` (of the tenant's catalogue): ("free_issue", None)
    for a free one, else the first provider grant; None when not readable."""
    if user_id is None or publication is None or publication.deleted_at is not None:
        return None
    if platform.readable_issues_cap() is not None and publication.id not in readable_ids(
        tenant_id, user_id
    ):
        return None
    if publication.is_free:
        return FREE
    return _granted(tenant_id, user_id, frozenset({publication.id})).get(publication.id)


def owned_ids(tenant_id: int, user_id: int | None) -> set[int]:
    """What the user holds through a purchase, an assignment or a plan (not free alone);
    empty until commerce registers its provider."""
    if user_id is None:
        return set()
    return set(_granted(tenant_id, user_id, None))


def entitled_collection_term_ids(tenant_id: int, user_id: int | None) -> set[int]:
    """Collection terms the user's plans assign (restricted terms show only to them)."""
    if user_id is None:
        return set()
    terms: set[int] = set()
    for grants in _grants(tenant_id, user_id, None):
        terms |= set(grants.collection_terms)
    return terms
