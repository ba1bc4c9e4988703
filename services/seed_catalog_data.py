"""Generated demo catalogue material: titles, people, descriptions and taxonomies, drawn from
a seeded random generator so every run of `seed-demo` writes the same catalogue."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

PUBLICATIONS_PER_TENANT = 64
FIRST = (
    "Ana", "Bruno", "Carla", "Diego", "Elena", "Felipe", "Gabriela", "Hugo", "Inés", "Joaquín",
    "Laura", "Mateo", "Natalia", "Óscar", "Paula", "Ramiro", "Sofía", "Tomás", "Valeria", "Zoe",
    "Margaret", "Oliver", "Priya", "Kenji", "Amara", "Lucas", "Helena", "Ivan",
)  # fmt: skip
LAST = (
    "Álvarez", "Benítez", "Castro", "Domínguez", "Espinoza", "Ferreira", "Gómez", "Herrera",
    "Iglesias", "Juárez", "Lorenzo", "Medina", "Navarro", "Ortega", "Paredes", "Quiroga",
    "Romero", "Salazar", "Torres", "Vidal", "Whitfield", "Okafor", "Tanaka", "Lindqvist",
)  # fmt: skip
ADJECTIVES = (
    "Silent", "Hidden", "Northern", "Last", "Golden", "Broken", "Distant", "Secret", "Quiet",
    "Restless", "Forgotten", "Bright", "Endless", "Salt", "Paper", "Winter", "Open", "Small",
)  # fmt: skip
NOUNS = (
    "Harbour", "Garden", "River", "Letters", "Cartographer", "Orchard", "Archive", "Lighthouse",
    "Kitchen", "Frontier", "Atlas", "Season", "Machine", "Island", "Market", "Observatory",
    "Republic", "Alphabet", "Bridge", "Tide",
)  # fmt: skip
FORMS = ("Notes on", "A Field Guide to", "The Book of", "Essays on", "A Short History of")
TOPICS = (
    "Urban Gardening", "Data Journalism", "Coastal Birds", "Andean Cooking", "Small Business",
    "Public Health", "Jazz Piano", "Climate Policy", "Early Reading", "Machine Learning",
    "Football Tactics", "Latin American Poetry", "Household Finance", "Spanish Grammar",
)  # fmt: skip
SENTENCES = (
    "A careful, generous book that rewards slow reading.",
    "Written with warmth and a reporter's eye for detail.",
    "Includes maps, a glossary and suggestions for further reading.",
    "The new edition adds two chapters and a revised introduction.",
    "Readers follow three generations across a changing coastline.",
    "Practical exercises close every chapter.",
    "Praised for its clear explanations and lively examples.",
    "An essential reference for students and working professionals.",
)
LANGUAGES = ("en", "en", "en", "es", "es", "pt", "fr", "de")
AUDIENCES = (None, "general", "general", "children", "young_adult", "professional", "school")
FILE_TYPES = ("pdf", "pdf", "pdf", "pdf", "epub", "epub", "audio")
BISACS = ("FIC000000", "FIC022000", "FIC028000", "HIS000000", "CKB000000", "BUS000000", "JUV000000")
# slug, name, is_collection, max_filter_terms, [(term slug, term name, restricted)]
TAXONOMIES = (
    (
        "category",
        "Category",
        False,
        1,
        [
            ("fiction", "Fiction", False),
            ("non-fiction", "Non-fiction", False),
            ("children", "Children", False),
            ("cooking", "Cooking", False),
            ("business", "Business", False),
            ("history", "History", False),
        ],
    ),
    (
        "keyword",
        "Keyword",
        False,
        2,
        [
            ("award-winner", "Award winner", False),
            ("new-voices", "New voices", False),
            ("classics", "Classics", False),
            ("translated", "Translated", False),
        ],
    ),
    (
        "collection",
        "Collections",
        True,
        1,
        [
            ("essentials", "Essentials", False),
            ("members-library", "Members' library", True),
        ],
    ),
)


@dataclass
class DemoPublication:
    """One generated publication and what goes with it."""

    title: str
    file_type: str
    language: str
    audience: str | None
    description_html: str
    published_at: datetime | None
    is_free: bool
    is_physical: bool
    price_major: int
    page_count: int | None
    duration_seconds: int | None
    credits: list[tuple[str, str]] = field(default_factory=list)
    bisacs: list[str] = field(default_factory=list)
    terms: list[tuple[str, str]] = field(default_factory=list)  # (taxonomy slug, term slug)


def _title(rng: random.Random, index: int) -> str:
    if index % 3 == 0:
        return f"{rng.choice(FORMS)} {rng.choice(TOPICS)}"
    return f"The {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"


def _published_at(rng: random.Random, index: int, now: datetime) -> datetime | None:
    if index == 0:
        return None  # one draft
    if index == 1:
        return now + timedelta(days=7)  # one scheduled release
    if index < 8:
        return now - timedelta(days=rng.randint(1, 25))  # recent: the "latest" filter
    return now - timedelta(days=rng.randint(30, 900), hours=rng.randint(0, 23))


def generate(slug: str, now: datetime | None = None) -> list[DemoPublication]:
    """The demo catalogue of tenant `slug`; the same slug always gives the same catalogue."""
    rng = random.Random(f"catalogue:{slug}")
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    people = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(30)]
    items, seen = [], set()
    for index in range(PUBLICATIONS_PER_TENANT):
        base = title = _title(rng, index)
        volume = 1
        while title in seen:  # a repeated draw becomes the next volume
            volume += 1
            title = f"{base}, Volume {volume}"
        seen.add(title)
        file_type = FILE_TYPES[index % len(FILE_TYPES)]
        category = TAXONOMIES[0][4][index % 6][0]
        terms = [("category", category)]
        if index % 4 == 0:
            terms.append(("keyword", TAXONOMIES[1][4][index % 4][0]))
        if index % 5 == 0:
            terms.append(("collection", "members-library" if index % 10 == 0 else "essentials"))
        credits = [(rng.choice(people), "narrator" if file_type == "audio" else "author")]
        if index % 6 == 1:
            credits.append((rng.choice(people), "translator"))
        sentences = rng.sample(SENTENCES, 2)
        items.append(
            DemoPublication(
                title=title,
                file_type=file_type,
                language=LANGUAGES[index % len(LANGUAGES)],
                audience=AUDIENCES[index % len(AUDIENCES)],
                description_html="".join(f"<p>{s}</p>" for s in sentences),
                published_at=_published_at(rng, index, now),
                is_free=index % 9 == 4,
                is_physical=index % 17 == 3,
                price_major=rng.choice((5, 8, 12, 15, 20, 25)),
                page_count=None if file_type == "audio" else rng.randint(48, 420),
                duration_seconds=rng.randint(3600, 36000) if file_type == "audio" else None,
                credits=credits,
                bisacs=[BISACS[index % len(BISACS)]],
                terms=terms,
            )
        )
    return items
