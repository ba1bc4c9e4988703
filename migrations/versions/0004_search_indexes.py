"""search indexes: catalogue entries' combined search vector, newest-first publications

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:40:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("catalog_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "search_vector",
                postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"),
                nullable=True,
            )
        )
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite searches its FTS5 table; these indexes exist on PostgreSQL only
    op.execute(
        "UPDATE catalog_entries e SET search_vector ="
        " coalesce(p.search_vector, ''::tsvector) || coalesce(e.terms_vector, ''::tsvector)"
        " FROM publications p WHERE p.id = e.publication_id"
    )
    op.create_index(
        "ix_catalog_entries_search_vector",
        "catalog_entries",
        ["search_vector"],
        postgresql_using="gin",
    )
    op.create_index(
        "ix_publications_newest",
        "publications",
        [sa.text("published_at DESC NULLS LAST"), sa.text("id DESC")],
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_publications_newest", table_name="publications")
        op.drop_index("ix_catalog_entries_search_vector", table_name="catalog_entries")
    with op.batch_alter_table("catalog_entries", schema=None) as batch_op:
        batch_op.drop_column("search_vector")
