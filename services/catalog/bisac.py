"""BISAC subject codes on owned publications (at most three) and the optional reference list
of headings (spec 70 §1.2)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, func, or_, select

from app.extensions import db
from app.models.catalog import BisacSubject, Publication, PublicationBisac
from services import activity
from services.activity import Actor
from services.catalog.publications import after_change
from services.errors import NotFound, ValidationError
from services.rows import LIKE_ESCAPE, escape_like

CODE = re.compile(r"[A-Z]{3}[0-9]{6}")
MAX_CODES = 3


def clean_codes(codes: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in codes:
        code = str(raw or "").strip().upper()
        if not code:
            continue
        if not CODE.fullmatch(code):
            raise ValidationError(
                f"{code} is not a BISAC code (three letters and six digits).", field="bisac"
            )
        if code not in cleaned:
            cleaned.append(code)
    if len(cleaned) > MAX_CODES:
        raise ValidationError(f"At most {MAX_CODES} BISAC subjects.", field="bisac")
    return cleaned


def codes_of(publication_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(PublicationBisac.code)
            .where(PublicationBisac.publication_id == publication_id)
            .order_by(PublicationBisac.position)
        )
    )


def set_bisacs(
    tenant_id: int, publication: Publication, codes: list[str], actor: Actor | None = None
) -> None:
    """Replace the publication's BISAC codes with `codes` in order; a code without a heading
    in the reference list is still valid."""
    if publication.tenant_id != tenant_id or publication.deleted_at is not None:
        raise NotFound("No such publication.")
    cleaned = clean_codes(codes)
    before = codes_of(publication.id)
    if before == cleaned:
        return
    db.session.execute(
        delete(PublicationBisac)
        .where(PublicationBisac.publication_id == publication.id)
        .execution_options(synchronize_session=False)
    )
    for position, code in enumerate(cleaned):
        db.session.add(
            PublicationBisac(
                tenant_id=tenant_id, publication_id=publication.id, code=code, position=position
            )
        )
    db.session.flush()
    activity.record(
        actor or activity.SYSTEM,
        "publication.bisac",
        "publication",
        publication.uuid,
        tenant_id=tenant_id,
        before={"bisac": before},
        after={"bisac": cleaned},
    )
    after_change(publication, tenant_id)


def headings(codes: Iterable[str]) -> dict[str, str]:
    """code -> heading for the codes the reference list knows."""
    wanted = sorted({str(c).upper() for c in codes if c})
    if not wanted:
        return {}
    rows = db.session.execute(
        select(BisacSubject.code, BisacSubject.heading).where(BisacSubject.code.in_(wanted))
    )
    return dict(rows.all())


def search_subjects(prefix_or_text: str, limit: int = 10) -> list[tuple[str, str]]:
    """(code, heading) whose code starts with, or whose heading contains, the text."""
    text = (prefix_or_text or "").strip()[:100]
    if not text:
        return []
    escaped = escape_like(text)
    query = (
        select(BisacSubject.code, BisacSubject.heading)
        .where(
            or_(
                BisacSubject.code.like(escaped.upper() + "%", escape=LIKE_ESCAPE),
                func.lower(BisacSubject.heading).like(f"%{escaped.lower()}%", escape=LIKE_ESCAPE),
            )
        )
        .order_by(BisacSubject.code)
        .limit(limit)
    )
    return [(code, heading) for code, heading in db.session.execute(query)]
