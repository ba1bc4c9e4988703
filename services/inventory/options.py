"""Listing options (spec 70 §4.2) and the feature gates a listing obeys (§3.1), as plain values."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class FeatureGates:
    """Feature answers the view computed for this request (crawler gate and switches included)."""

    search: bool = False
    search_terms: bool = False
    recommended: bool = False


@dataclass(frozen=True)
class StorefrontOptions:
    """The ten listing options and their defaults."""

    exclude_physical_publications: bool = False
    exclude_scheduled_publications: bool = True
    assigns_collections_scope: bool = True
    force_only_sees_readable: bool = False
    exclude_free_publications: bool = False
    eager_load_descriptions: bool = True
    eager_load_terms: bool = False
    eager_load_bisacs: bool = False
    order_by_published_at: bool = True
    exclude_adult_content: bool = False


DEFAULT_OPTIONS = StorefrontOptions()
OPTION_NAMES = frozenset(f.name for f in fields(StorefrontOptions))


def merge_options(overrides: Mapping | None) -> StorefrontOptions:
    """The defaults with `overrides` on top; an unknown name is a programming error."""
    if not overrides:
        return DEFAULT_OPTIONS
    unknown = sorted(set(overrides) - OPTION_NAMES)
    if unknown:
        raise ValueError(f"unknown storefront option(s): {', '.join(unknown)}")
    return replace(DEFAULT_OPTIONS, **dict(overrides))


def options_hash(options: StorefrontOptions) -> str:
    """First 12 hex characters of SHA-1 over the options as sorted JSON (cache keys, §4.4)."""
    payload = json.dumps(asdict(options), sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(payload.encode(), usedforsecurity=False).hexdigest()[:12]
