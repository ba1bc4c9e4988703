"""Clean text people type into catalogue fields: titles without control characters and
descriptions reduced to a few safe tags with nh3 (spec 70 §1.1, §10)."""

from __future__ import annotations

import re

import nh3

from services.errors import ValidationError

DESCRIPTION_TAGS = frozenset({"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "a"})
DESCRIPTION_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
DESCRIPTION_MAX = 20_000

# C0 and C1 controls and DEL; any run of whitespace in a one-line field becomes one space.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")


def clean_line(value, *, field: str, max_length: int, required: bool = True) -> str | None:
    """Trimmed single-line text without control characters, 1..max_length characters."""
    text = _SPACES.sub(" ", _CONTROL.sub("", _SPACES.sub(" ", str(value or "")))).strip()
    if not text:
        if required:
            raise ValidationError("This field is required.", field=field)
        return None
    if len(text) > max_length:
        raise ValidationError(f"At most {max_length} characters.", field=field)
    return text


def clean_title(value) -> str:
    return clean_line(value, field="title", max_length=300)


def clean_description(value) -> str | None:
    """Sanitised HTML (links keep only http, https and mailto targets); None when empty."""
    if value is None:
        return None
    html = nh3.clean(
        str(value),
        tags=set(DESCRIPTION_TAGS),
        attributes={k: set(v) for k, v in DESCRIPTION_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    ).strip()
    if not html:
        return None
    if len(html) > DESCRIPTION_MAX:
        raise ValidationError(
            f"The description is too long ({len(html):,} of {DESCRIPTION_MAX:,} characters).",
            field="description_html",
        )
    return html
