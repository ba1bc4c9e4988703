"""Validation of the publication fields an admin edits (spec 70 §1.1): one place for create
and update, so both refuse the same input with the same form errors."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from app.data import iso639_1
from app.models.catalog import AUDIENCES, FILE_TYPES, PUBLICATION_STATUSES
from services.catalog.sanitize import clean_description, clean_title
from services.errors import ValidationError

EDITABLE = (
    "title",
    "description_html",
    "language",
    "audience",
    "published_at",
    "is_free",
    "is_physical",
    "is_adult",
    "retail_licensed",
    "marketplace_listed",
    "status",
    "edition_prefix",
    "edition_date",
    "page_count",
)
FLAGS = frozenset({"is_free", "is_physical", "is_adult", "retail_licensed", "marketplace_listed"})
EDITION_PREFIX = re.compile(r"[A-Za-z0-9_]{1,32}")


def language(value) -> str:
    code = str(value or "").strip().lower()
    if not iso639_1.is_valid(code):
        raise ValidationError("Choose a language from the list.", field="language")
    return code


def file_type(value) -> str:
    if value not in FILE_TYPES:
        raise ValidationError("Upload a PDF, EPUB or audio file.", field="file")
    return value


def audience(value) -> str | None:
    if value in (None, ""):
        return None
    if value not in AUDIENCES:
        raise ValidationError("Choose an audience from the list.", field="audience")
    return value


def published_at(value) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError("Give the publication time with its time zone.", field="published_at")
    return value.astimezone(UTC)


def status(value) -> str:
    if value not in PUBLICATION_STATUSES:
        raise ValidationError("Unknown status.", field="status")
    return value


def edition_prefix(value) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not EDITION_PREFIX.fullmatch(text):
        raise ValidationError(
            "Use up to 32 letters, digits or underscores.", field="edition_prefix"
        )
    return text


def edition_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise ValidationError("Enter a valid date.", field="edition_date")
    return value


def page_count(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError("Enter a whole number of pages.", field="page_count")
    return value


_CLEANERS = {
    "title": clean_title,
    "description_html": clean_description,
    "language": language,
    "audience": audience,
    "published_at": published_at,
    "status": status,
    "edition_prefix": edition_prefix,
    "edition_date": edition_date,
    "page_count": page_count,
}


def clean(fields: dict) -> dict:
    """The cleaned values of `fields`; the first bad one raises ValidationError (with its
    field) and an unknown name is a programming error (TypeError)."""
    cleaned = {}
    for name, value in fields.items():
        if name in FLAGS:
            cleaned[name] = bool(value)
        elif name in _CLEANERS:
            cleaned[name] = _CLEANERS[name](value)
        else:
            raise TypeError(f"{name} is not an editable publication field")
    return cleaned
