"""Storage keys, built only by code (spec 70 §2): never from a user's file name."""

from __future__ import annotations

import re
import secrets
import uuid as uuid_lib

_ALLOWED = re.compile(r"[A-Za-z0-9/._-]+")
SOURCE_EXTENSIONS = frozenset({"pdf", "epub", "mp3", "m4a", "m4b"})


class InvalidKey(ValueError):
    """A storage key with characters outside [A-Za-z0-9/._-], a `..`, or a leading `/`."""


def validate_key(key: str, *, prefix: bool = False) -> str:
    """`key` unchanged when it is safe; InvalidKey otherwise (a prefix may end with `/`)."""
    if not isinstance(key, str) or not key or not _ALLOWED.fullmatch(key):
        raise InvalidKey("Invalid storage key.")
    if key.startswith("/") or ".." in key or "//" in key:
        raise InvalidKey("Invalid storage key.")
    if key.endswith("/") and not prefix:
        raise InvalidKey("Invalid storage key.")
    return key


def _id(value) -> str:
    return str(uuid_lib.UUID(str(value)))


def tenant_prefix(tenant_uuid) -> str:
    return f"t/{_id(tenant_uuid)}/"


def publication_prefix(tenant_uuid, publication_uuid) -> str:
    return f"{tenant_prefix(tenant_uuid)}p/{_id(publication_uuid)}/"


def source_key(tenant_uuid, publication_uuid, ext: str) -> str:
    ext = ext.lower()
    if ext not in SOURCE_EXTENSIONS:
        raise InvalidKey(f"No source files of type {ext}.")
    return f"{publication_prefix(tenant_uuid, publication_uuid)}source.{ext}"


def revision_prefix(tenant_uuid, publication_uuid, revision: int) -> str:
    return f"{publication_prefix(tenant_uuid, publication_uuid)}r{int(revision)}/"


def optimised_key(tenant_uuid, publication_uuid, revision: int) -> str:
    return f"{revision_prefix(tenant_uuid, publication_uuid, revision)}optimised.pdf"


def page_image_key(tenant_uuid, publication_uuid, revision: int, page: int, size: str) -> str:
    if size not in ("hi", "lo"):
        raise InvalidKey("Page images are 'hi' or 'lo'.")
    return (
        f"{revision_prefix(tenant_uuid, publication_uuid, revision)}pages/{int(page)}-{size}.webp"
    )


def page_text_key(tenant_uuid, publication_uuid, revision: int, page: int) -> str:
    return f"{revision_prefix(tenant_uuid, publication_uuid, revision)}text/{int(page)}.txt"


def cover_key(tenant_uuid, publication_uuid) -> str:
    """A fresh name per cover, so a new cover never hides behind a cached old URL."""
    return f"{publication_prefix(tenant_uuid, publication_uuid)}cover-{secrets.token_hex(8)}.webp"


def smartzoom_key(tenant_uuid, publication_uuid, run_uuid, n: int) -> str:
    prefix = publication_prefix(tenant_uuid, publication_uuid)
    return f"{prefix}smartzoom/{_id(run_uuid)}/{int(n)}.webp"


def automation_source_key(tenant_uuid, run_uuid) -> str:
    return f"{tenant_prefix(tenant_uuid)}automations/{_id(run_uuid)}/source.zip"


def inbox_prefix(tenant_uuid) -> str:
    return f"{tenant_prefix(tenant_uuid)}inbox/"
