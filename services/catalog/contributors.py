"""Credits on owned publications: contributors reused case-insensitively per owner tenant,
roles from the ONIX-like list, in display order (spec 70 §1.2)."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from app.extensions import db
from app.models.catalog import CONTRIBUTOR_ROLES, Contributor, Publication, PublicationContributor
from services import activity
from services.activity import Actor
from services.catalog.publications import after_change
from services.catalog.sanitize import clean_line
from services.errors import NotFound, ValidationError
from services.rows import LIKE_ESCAPE, escape_like

MAX_CREDITS = 50


def sort_name(name: str) -> str:
    """ "Ada Lovelace" -> "Lovelace, Ada"; a single word stays as it is."""
    first, _, last = name.rpartition(" ")
    return f"{last}, {first}" if first else name


def _clean(credits: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if len(credits) > MAX_CREDITS:
        raise ValidationError(f"At most {MAX_CREDITS} contributors.", field="contributors")
    cleaned, seen = [], set()
    for index, (raw_name, role) in enumerate(credits):
        name = clean_line(
            raw_name, field=f"contributors-{index}-name", max_length=200, required=False
        )
        if name is None:
            continue  # an empty row of the form
        if role not in CONTRIBUTOR_ROLES:
            raise ValidationError(
                "Choose a role from the list.", field=f"contributors-{index}-role"
            )
        if (name.lower(), role) in seen:
            continue
        seen.add((name.lower(), role))
        cleaned.append((name, role))
    return cleaned


def find_or_create(tenant_id: int, name: str) -> Contributor:
    # The database lowers both sides, exactly as the unique index does: SQLite's lower() folds
    # ASCII only, so Python's lower() would miss "Álvarez" there and hit the index instead.
    contributor = db.session.scalar(
        select(Contributor).where(
            Contributor.tenant_id == tenant_id, func.lower(Contributor.name) == func.lower(name)
        )
    )
    if contributor is None:
        contributor = Contributor(tenant_id=tenant_id, name=name, sort_name=sort_name(name))
        db.session.add(contributor)
        db.session.flush()
    return contributor


def set_contributors(
    actor: Actor, tenant_id: int, publication: Publication, credits: list[tuple[str, str]]
) -> None:
    """Replace the publication's credits with `credits` ((name, role) in order)."""
    if publication.tenant_id != tenant_id or publication.deleted_at is not None:
        raise NotFound("No such publication.")
    cleaned = _clean(list(credits))
    before = credits_of(publication.id)
    if before == cleaned:
        return
    db.session.execute(
        delete(PublicationContributor)
        .where(PublicationContributor.publication_id == publication.id)
        .execution_options(synchronize_session=False)
    )
    for position, (name, role) in enumerate(cleaned):
        db.session.add(
            PublicationContributor(
                tenant_id=tenant_id,
                publication_id=publication.id,
                contributor_id=find_or_create(tenant_id, name).id,
                role=role,
                position=position,
            )
        )
    db.session.flush()
    activity.record(
        actor,
        "publication.contributors",
        "publication",
        publication.uuid,
        tenant_id=tenant_id,
        before={"contributors": [list(c) for c in before]},
        after={"contributors": [list(c) for c in cleaned]},
    )
    after_change(publication, tenant_id)


def credits_of(publication_id: int) -> list[tuple[str, str]]:
    query = (
        select(Contributor.name, PublicationContributor.role)
        .join(Contributor, Contributor.id == PublicationContributor.contributor_id)
        .where(PublicationContributor.publication_id == publication_id)
        .order_by(PublicationContributor.position, PublicationContributor.role)
    )
    return [(name, role) for name, role in db.session.execute(query)]


def suggest(tenant_id: int, prefix: str, limit: int = 10) -> list[str]:
    """Names of the tenant's contributors starting with `prefix` (form autocomplete)."""
    text = (prefix or "").strip().lower()
    if not text:
        return []
    pattern = escape_like(text) + "%"
    query = (
        select(Contributor.name)
        .where(
            Contributor.tenant_id == tenant_id,
            func.lower(Contributor.name).like(pattern, escape=LIKE_ESCAPE),
        )
        .order_by(Contributor.sort_name)
        .limit(limit)
    )
    return list(db.session.scalars(query))
