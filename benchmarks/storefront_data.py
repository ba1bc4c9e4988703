"""The storefront benchmark's catalogue: one tenant with tens of thousands of generated
publications, bulk-loaded with COPY and indexed with the search index's own SQL expressions."""

from __future__ import annotations

import csv
import io
import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

SLUG = "bench-store"
HOST = f"{SLUG}.localhost"
CURRENCY = "USD"
TAXONOMY_SLUG = "category"
CONTRIBUTORS = 2_000
YEARS = 5
SEED = 4
FILE_TYPES = (("pdf", 60), ("epub", 30), ("audio", 10))
LANGUAGES = (("en", 50), ("es", 30), ("pt", 10), ("fr", 5), ("de", 5))
AUDIENCES = (
    (None, 10), ("general", 45), ("children", 8), ("young_adult", 8), ("school", 7),
    ("higher_education", 8), ("professional", 8), ("elt", 3), ("adult_education", 3),
)  # fmt: skip
TERMS = (
    "Fiction History Science Cooking Travel Poetry Business Health Children Art Music Politics "
    "Sport Nature Technology Philosophy Religion Education Law Comics"
).split()
FIRST = (
    "Ana Bruno Carla Diego Elena Felipe Gabriela Hugo Inés Joaquín Laura Mateo Natalia Óscar "
    "Paula Ramiro Sofía Tomás Valeria Zoe Margaret Oliver Priya Kenji Amara Lucas Helena Ivan "
    "Chloé Rafael Nadia Pedro Irene Samuel Marta Andrés Lucía Emil Noor Camille Yusuf Beatriz "
    "Jonas Aiko Teresa Malik Clara Víctor Rosa Daniel"
).split()
LAST = (
    "Álvarez Benítez Castro Domínguez Espinoza Ferreira Gómez Herrera Iglesias Juárez Lorenzo "
    "Medina Navarro Ortega Paredes Quiroga Romero Salazar Torres Vidal Whitfield Okafor Tanaka "
    "Lindqvist Moreau Schulz Rossi Nakamura Kowalski Fischer Costa Silva Brennan Duarte Haddad "
    "Ibarra Jensen Keller Lefebvre Mendes"
).split()
ADJECTIVES = (
    "Silent Hidden Northern Last Golden Broken Distant Secret Quiet Restless Forgotten Bright "
    "Endless Salt Paper Winter Open Small Wild Burning Lost Green Hollow Iron Late Little Long Red"
).split()
NOUNS = (
    "Harbour Garden River Letters Cartographer Orchard Archive Lighthouse Kitchen Frontier Atlas "
    "Season Machine Island Market Observatory Republic Alphabet Bridge Tide Forest Station "
    "Mountain Library Daughter Empire Voyage Winter Country Music House Road Sea"
).split()
FORMS = ("Notes on", "A Field Guide to", "The Book of", "Essays on", "A Short History of", "")
# Description vocabulary, drawn with Zipf-like weights so a few words are everywhere and most
# are rare, as in real blurbs.
VOCABULARY = (
    "the of and a to in is for with that on this book by from story new its as an world life "
    "reader guide history through family years city time first readers edition author also "
    "between after how people century war love home work art science young series "
    "water light land stories most practical country journey small house women children "
    "essential illustrated complete modern classic volume chapters revised introduction maps "
    "glossary notes examples exercises recipes photographs interviews letters archive records "
    "river island mountain forest coast desert harbour market kitchen school hospital church "
    "music poetry politics economy climate ocean birds plants animals cities villages memory "
    "friendship power money justice faith fear hope grief courage freedom language teaching "
    "learning research data method theory practice design engineering medicine health body "
    "mind food wine bread coffee tea travel maps road rail sea air sky stars moon sun winter "
    "summer spring autumn night morning evening north south east west generous careful warm "
    "sharp funny tender brutal quiet bold honest strange beautiful vivid garden clear rigorous "
    "lively"
).split()
WEIGHTS = [1 / (rank + 1) ** 0.9 for rank in range(len(VOCABULARY))]
DAY = 24 * 3600
COLUMNS = {
    "publications": (
        "id", "tenant_id", "uuid", "title", "description_html", "file_type", "language",
        "audience", "published_at", "is_free", "status", "page_count", "duration_seconds",
        "created_at", "updated_at",
    ),
    "catalog_entries": ("tenant_id", "publication_id", "source", "added_at"),
    "publication_contributors": (
        "tenant_id", "publication_id", "contributor_id", "role", "position",
    ),
    "publication_terms": ("tenant_id", "publication_id", "term_id"),
    "publication_prices": ("tenant_id", "publication_id", "currency", "amount_minor"),
    "publication_stats": (
        "tenant_id", "publication_id", "sales_90d", "reads_30d", "refreshed_at",
    ),
    "bench_descriptions": ("publication_id", "description"),
}  # fmt: skip


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return lambda: rng.choices(values, weights)[0]


def _sentence(rng: random.Random) -> str:
    words = rng.choices(VOCABULARY, WEIGHTS, k=rng.randint(8, 16))
    return " ".join(words).capitalize() + "."


def _title(rng: random.Random) -> str:
    form = rng.choice(FORMS)
    core = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    title = f"{form} the {core}" if form else f"The {core}"
    if rng.random() < 0.15:
        title += f", Vol. {rng.randint(1, 9)}"
    return title


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class _Copier:
    """COPY ... FROM STDIN in CSV through the raw psycopg2 connection, one call per table."""

    def __init__(self, raw_connection):
        self.cursor = raw_connection.cursor()

    def copy(self, table: str, columns: tuple[str, ...], rows) -> None:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)  # None -> empty unquoted field: NULL in CSV COPY
        buffer.seek(0)
        self.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer
        )

    def next_id(self, table: str) -> int:
        self.cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
        return self.cursor.fetchone()[0]

    def sync_sequence(self, table: str) -> None:
        # Rows went in with explicit ids; later inserts (shelves, services) must not collide.
        self.cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )


class _Rows:
    """The generated rows of every table, in COPY column order."""

    def __init__(self, rng: random.Random, tenant_id: int, terms: list[int], first: int):
        self.rng, self.tenant_id, self.terms, self.first = rng, tenant_id, terms, first
        self.now = datetime.now(UTC)
        self.file_type, self.language = _weighted(rng, FILE_TYPES), _weighted(rng, LANGUAGES)
        self.audience = _weighted(rng, AUDIENCES)
        self.term_weights = [1 / (i + 1) ** 0.6 for i in range(len(terms))]
        self.tables: dict[str, list[tuple]] = {name: [] for name in COLUMNS}

    def add(self, pid: int, contributor_ids: list[int]) -> str:
        """One publication with its entry, credits, terms, price and stats; its description."""
        rng, tenant, add = self.rng, self.tenant_id, self.tables
        kind = self.file_type()
        # 0.5 % scheduled within the next month: the default listing options hide them.
        future = rng.random() < 0.005
        offset = rng.uniform(-30 * DAY, 0) if future else rng.uniform(0, YEARS * 365 * DAY)
        published = (self.now - timedelta(seconds=offset)).isoformat()
        free = rng.random() < 0.10
        blurb = " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
        pages = None if kind == "audio" else rng.randint(24, 640)
        seconds = rng.randint(1800, 36000) if kind == "audio" else None
        add["publications"].append(
            (pid, tenant, _uuid(rng), _title(rng), f"<p>{blurb}</p>", kind, self.language(),
             self.audience(), published, free, "ready", pages, seconds, published, published)
        )  # fmt: skip
        add["catalog_entries"].append((tenant, pid, "owned", published))
        people = rng.sample(contributor_ids, rng.choice((1, 1, 1, 2, 2, 3)))
        other = ("editor", "translator", "narrator" if kind == "audio" else "illustrator")
        for position, person in enumerate(people):
            role = "author" if position == 0 else rng.choice(other)
            add["publication_contributors"].append((tenant, pid, person, role, position))
        picked = set(rng.choices(self.terms, self.term_weights, k=2))
        add["publication_terms"].extend((tenant, pid, t) for t in picked if rng.random() < 0.9)
        if not free:
            amount = rng.choice((499, 999, 1499, 1999, 2999))
            add["publication_prices"].append((tenant, pid, CURRENCY, amount))
        if rng.random() < 0.4:
            sales = int(rng.paretovariate(1.2))
            add["publication_stats"].append((tenant, pid, sales, rng.randint(0, 500), self.now))
        add["bench_descriptions"].append((pid, blurb))
        return blurb


def load_catalogue(engine, tenant_id: int, terms: list[tuple[int, str]], count: int) -> dict:
    """Contributors, publications, entries, credits, terms, prices and sales stats, by COPY in
    one transaction (`terms`: the taxonomy's (id, slug)). Returns a sample of the descriptions'
    plain text by publication id, for check_search_vectors."""
    rng = random.Random(SEED)
    sample: dict[int, str] = {}
    raw = engine.raw_connection()
    try:
        copier = _Copier(raw)
        first_contributor = copier.next_id("contributors")
        names = rng.sample([(f, la) for f in FIRST for la in LAST], CONTRIBUTORS)
        people = [
            (first_contributor + i, tenant_id, _uuid(rng), f"{f} {la}", f"{la}, {f}")
            for i, (f, la) in enumerate(names)
        ]
        copier.copy("contributors", ("id", "tenant_id", "uuid", "name", "sort_name"), people)
        first = copier.next_id("publications")
        rows = _Rows(rng, tenant_id, [term_id for term_id, _ in terms], first)
        contributor_ids = [person[0] for person in people]
        for pid in range(first, first + count):
            blurb = rows.add(pid, contributor_ids)
            if (pid - first) % 500 == 0:
                sample[pid] = blurb
        # An unlogged scratch table for the bulk reindex: each description's readable text.
        copier.cursor.execute(
            "CREATE UNLOGGED TABLE bench_descriptions (publication_id bigint PRIMARY KEY,"
            " description text NOT NULL)"
        )
        for table, columns in COLUMNS.items():
            copier.copy(table, columns, rows.tables[table])
        for table in ("contributors", "publications"):
            copier.sync_sequence(table)
        raw.commit()
    finally:
        raw.close()
    return sample


def vacuum_analyze(engine) -> None:
    """VACUUM ANALYZE the loaded tables: statistics for the planner and a clean visibility map,
    as autovacuum would leave a catalogue that has settled."""
    tables = (
        "publications", "catalog_entries", "contributors", "publication_contributors",
        "publication_terms", "publication_prices", "publication_stats", "taxonomy_terms",
    )  # fmt: skip
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))


# -- the tenant around the catalogue ----------------------------------------------------------
SHELVES = (
    ("New this month", "filter", "latest_issues=latest_issues"),
    ("History", "term", "history"),
    ("Free to read", "filter", "free_issues=free_issues"),
    ("Science", "term", "science"),
    ("Audiobooks", "filter", "file_type=audio"),
    ("Cooking", "term", "cooking"),
    ("In Spanish", "filter", "language=es"),
)


def create_tenant(app) -> tuple[int, list[tuple[int, str]]]:
    """Through the services: a plan granting storefront search (terms included), the tenant on
    it, its category taxonomy and the home page's shelves; the tenant id and terms' (id, slug)."""
    from app.extensions import db
    from services import currencies
    from services.activity import Actor
    from services.catalog import taxonomies, terms
    from services.features import definitions, grants
    from services.storefront import admin
    from services.tenancy import context, tenant_scope
    from services.tenancy import tenants as tenant_service

    actor = Actor(label="benchmark")
    with app.app_context():
        token = context.enter_platform()
        try:
            currencies.seed()
            plan = definitions.create_plan(actor, slug="bench-store", name="Bench store")
            for slug in ("storefront_search", "storefront_search_terms"):
                grants.set_grant(actor, plan, definitions.find_feature(slug), "enabled")
            tenant, _ = tenant_service.create_tenant(
                actor, slug=SLUG, name="Bench Store", status="active", currency=CURRENCY
            )
            grants.assign_plan(actor, tenant, plan)
            tenant_id = tenant.id
            db.session.commit()
            with tenant_scope(tenant_id):
                taxonomy = taxonomies.create_taxonomy(
                    actor, tenant_id, name="Category", slug=TAXONOMY_SLUG
                )
                made = {
                    term.slug: term.id
                    for term in (
                        terms.create_term(actor, tenant_id, taxonomy.uuid, name=name)
                        for name in TERMS
                    )
                }
                for title, kind, value in SHELVES:
                    values = {"title": title, "kind": kind, "style": "carousel", "max_items": 12}
                    if kind == "term":
                        values["term_id"] = made[value]
                    else:
                        values["filter_query"] = value
                    admin.create_shelf(actor, tenant_id, **values)
                db.session.commit()
        finally:
            context.reset_scope(token)
            db.session.remove()
    return tenant_id, [(term_id, slug) for slug, term_id in made.items()]
