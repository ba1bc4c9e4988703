"""features

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:10:00.000000

"""

from contextlib import contextmanager
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The catalog as of this revision, copied here: a migration never imports app or service code.
# (slug, name, kind, description)
FEATURES = [
    (
        "storefront_search",
        "Storefront search",
        "boolean",
        "Full-text search in the storefront.",
    ),
    (
        "storefront_search_terms",
        "Search by taxonomy terms",
        "boolean",
        "Taxonomy terms inside storefront search.",
    ),
    (
        "storefront_recommended_issues",
        "Recommended publications",
        "boolean",
        "The recommendation shelf in the storefront.",
    ),
    (
        "automations",
        "Medusa Automations",
        "boolean",
        "Dispatch and redispatch automation buttons and the dispatch API.",
    ),
    ("discount_coupons", "Discount coupons", "boolean", "Coupons in the store and checkout."),
    (
        "maximum_discount_coupon_amount_limit",
        "Maximum coupon discount",
        "limit",
        "The highest discount percentage a coupon may give.",
    ),
    ("create_external_plans", "External plans", "boolean", "Store plans sold elsewhere."),
    ("yuno_checkout_enabled", "Yuno checkout", "boolean", "Yuno in checkout."),
    ("physicals_goods", "Physical goods", "boolean", "Physical products and shipping notes."),
    ("shipping_by_province", "Shipping by province", "boolean", "Province carriers."),
    (
        "consumption_api",
        "Consumption API",
        "boolean",
        "The integration API's reading-sessions endpoint.",
    ),
    ("admin_limit", "Administrators", "limit", "Active tenant administrators."),
    (
        "issues_limit",
        "Publications",
        "limit",
        "Publications the store may hold, drafts included.",
    ),
]

# (name, kind, description); a 'feature' switch controls the feature of the same slug.
SWITCHES = [
    ("storefront_search", "feature", "Search denied for every tenant."),
    ("storefront_search_terms", "feature", "Taxonomy terms left out of search."),
    ("storefront_recommended_issues", "feature", "Recommendation shelf hidden."),
    (
        "unlimited_readable_issues",
        "behaviour",
        "The 500 readable-issues cap is imposed again.",
    ),
    (
        "payment_sync",
        "job",
        "Payment synchronisation, on-demand reconciliation and the MercadoPago checks it "
        "dispatches are skipped.",
    ),
    ("check_mp_payments", "job", "MercadoPago recurring-payment checks skipped."),
    ("ipn_processing", "job", "Gateway webhook processing paused (intake still stores)."),
    ("check_yuno_payments", "job", "Yuno recurring-payment checks skipped."),
    ("verify_pending_refunds", "job", "Pending Yuno refunds are not re-checked."),
    ("check_payu_payments", "job", "Pending PayU order checks skipped."),
    (
        "commerce_housekeeping",
        "job",
        "Line expiry, pending-order pruning and payments housekeeping skipped.",
    ),
    (
        "shipping_notes_generation",
        "job",
        "Yearly shipping notes #2 to #12 not created (caught up when back on).",
    ),
    ("bulk_process_deferred_issues", "job", "PDF/audio processing queue paused."),
    ("bulk_process_deferred_epub", "job", "EPUB processing queue paused."),
    ("bulk_reprocess_issues", "job", "Issue re-processing paused."),
    ("analytics_ingestion", "behaviour", "Event intake paused."),
    ("analytics_aggregation", "job", "Session aggregation skipped."),
    ("telescope_recording", "behaviour", "The recorder records nothing."),
    ("gateway_revalidation", "job", "The daily gateway-credential re-check is skipped."),
]

CONFIG_VERSIONS = ("feature_definitions", "feature_catalog", "kill_switches")

# Stored feature values (spec 20 §3); PostgreSQL checks them, the models' validators do elsewhere.
VALUE_CHECK = "value IN ('enabled','disabled','unlimited') OR value ~ '^(0|[1-9][0-9]{0,8})$'"
TRIAL_VALUE_CHECK = (
    "trial_value IS NULL OR trial_value = 'unlimited' OR trial_value ~ '^(0|[1-9][0-9]{0,8})$'"
)


def _postgresql_only(*constraints):
    """CHECK constraints using PostgreSQL regular expressions, left out on other databases."""
    return list(constraints) if op.get_bind().dialect.name == "postgresql" else []


@contextmanager
def _sqlite_foreign_keys_off():
    """On SQLite, batch mode rebuilds `tenants` by copying it and dropping the original; with
    foreign keys enforced, that drop runs the ON DELETE actions of every row referencing a tenant
    (domains would cascade away, users would make it fail). Alembic's batch mode needs the pragma
    off, and SQLite ignores it inside a transaction (app/database.py emits BEGIN on every begin,
    AUTOCOMMIT included), so the migration's transaction is committed around the switch."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        yield
        return
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN")
    try:
        yield
        violations = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
        if violations:
            raise RuntimeError(f"foreign keys violated after the migration: {violations[:5]}")
        bind.exec_driver_sql("COMMIT")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        raise
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN")  # Alembic records the revision and commits this one.


def upgrade():
    with _sqlite_foreign_keys_off():
        _create_tables()
        _seed()


def downgrade():
    with _sqlite_foreign_keys_off():
        _drop_tables()


def _create_tables():
    op.create_table(
        "config_versions",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_config_versions")),
    )
    op.create_table(
        "features",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "boolean",
                "limit",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "accessible_during_trial",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
        sa.Column("trial_value", sa.String(length=16), nullable=True),
        sa.Column("deprecating", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.CheckConstraint(
            "NOT (kind = 'limit' AND accessible_during_trial) OR trial_value IS NOT NULL",
            name=op.f("ck_features_limit_trial_needs_value"),
        ),
        sa.CheckConstraint(
            "kind = 'limit' OR trial_value IS NULL",
            name=op.f("ck_features_trial_value_only_for_limits"),
        ),
        *_postgresql_only(
            sa.CheckConstraint(
                "slug ~ '^[a-z][a-z0-9_]{1,62}$'", name=op.f("ck_features_slug_format")
            ),
            sa.CheckConstraint(TRIAL_VALUE_CHECK, name=op.f("ck_features_trial_value_format")),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_features")),
        sa.UniqueConstraint("slug", name=op.f("uq_features_slug")),
    )
    op.create_table(
        "platform_plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("grants_version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        *_postgresql_only(
            sa.CheckConstraint(
                "slug ~ '^[a-z][a-z0-9_-]{1,62}$'", name=op.f("ck_platform_plans_slug_format")
            ),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_plans")),
        sa.UniqueConstraint("slug", name=op.f("uq_platform_plans_slug")),
        sa.UniqueConstraint("uuid", name=op.f("uq_platform_plans_uuid")),
    )
    op.create_table(
        "kill_switches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "feature",
                "job",
                "behaviour",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "feature_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column(
            "updated_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("updated_by_label", sa.String(length=120), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(kind = 'feature') = (feature_id IS NOT NULL)",
            name=op.f("ck_kill_switches_feature_kind"),
        ),
        *_postgresql_only(
            sa.CheckConstraint(
                "name ~ '^[a-z][a-z0-9_]{1,62}$'", name=op.f("ck_kill_switches_name_format")
            ),
        ),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["features.id"],
            name=op.f("fk_kill_switches_feature_id_features"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_kill_switches_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kill_switches")),
        sa.UniqueConstraint("feature_id", name=op.f("uq_kill_switches_feature_id")),
        sa.UniqueConstraint("name", name=op.f("uq_kill_switches_name")),
    )
    op.create_table(
        "platform_plan_features",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "platform_plan_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "feature_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("value", sa.String(length=16), nullable=False),
        sa.Column(
            "updated_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        *_postgresql_only(
            sa.CheckConstraint(VALUE_CHECK, name=op.f("ck_platform_plan_features_value_format")),
        ),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["features.id"],
            name=op.f("fk_platform_plan_features_feature_id_features"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["platform_plan_id"],
            ["platform_plans.id"],
            name=op.f("fk_platform_plan_features_platform_plan_id_platform_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_platform_plan_features_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_plan_features")),
        sa.UniqueConstraint(
            "platform_plan_id", "feature_id", name="uq_platform_plan_features_pair"
        ),
    )
    with op.batch_alter_table("platform_plan_features", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_platform_plan_features_feature_id"), ["feature_id"], unique=False
        )

    op.create_table(
        "tenant_features",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "feature_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("value", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "updated_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        *_postgresql_only(
            sa.CheckConstraint(VALUE_CHECK, name=op.f("ck_tenant_features_value_format")),
            sa.CheckConstraint(
                "char_length(reason) >= 5", name=op.f("ck_tenant_features_reason_length")
            ),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_tenant_features_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["features.id"],
            name=op.f("fk_tenant_features_feature_id_features"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_features_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_tenant_features_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_features")),
        sa.UniqueConstraint("tenant_id", "feature_id", name="uq_tenant_features_pair"),
    )
    with op.batch_alter_table("tenant_features", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tenant_features_feature_id"), ["feature_id"], unique=False
        )

    op.create_table(
        "kill_switch_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kill_switch_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("from_enabled", sa.Boolean(), nullable=False),
        sa.Column("to_enabled", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "ui",
                "cli",
                "schedule",
                name="source",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_kill_switch_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["kill_switch_id"],
            ["kill_switches.id"],
            name=op.f("fk_kill_switch_events_kill_switch_id_kill_switches"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kill_switch_events")),
    )
    # Newest events of a switch first; a plain column with a sort order, on every database.
    op.create_index(
        "ix_kill_switch_events_switch_created",
        "kill_switch_events",
        [sa.text("kill_switch_id"), sa.text("created_at DESC")],
        unique=False,
    )

    op.create_table(
        "kill_switch_schedules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kill_switch_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("target_enabled", sa.Boolean(), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "applied",
                "cancelled",
                "skipped",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_kill_switch_schedules_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["kill_switch_id"],
            ["kill_switches.id"],
            name=op.f("fk_kill_switch_schedules_kill_switch_id_kill_switches"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kill_switch_schedules")),
    )
    with op.batch_alter_table("kill_switch_schedules", schema=None) as batch_op:
        batch_op.create_index(
            "uq_kill_switch_schedules_pending",
            ["kill_switch_id"],
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )

    # SQLite cannot add a foreign key in place: batch mode rebuilds the table there.
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_tenants_platform_plan_id_platform_plans"),
            "platform_plans",
            ["platform_plan_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def _seed():
    """Version counters, the feature catalog and the kill switches, as of this revision."""
    config_versions = sa.table(
        "config_versions",
        sa.column("name", sa.String()),
        sa.column("version", sa.BigInteger()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        config_versions,
        [{"name": name, "version": 1, "updated_at": now} for name in CONFIG_VERSIONS],
    )

    features = sa.table(
        "features",
        sa.column("id", sa.BigInteger()),
        sa.column("slug", sa.String()),
        sa.column("name", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("kind", sa.String()),
        sa.column("accessible_during_trial", sa.Boolean()),
        sa.column("trial_value", sa.String()),
        sa.column("deprecating", sa.Boolean()),
    )
    op.bulk_insert(
        features,
        [
            {
                "slug": slug,
                "name": name,
                "description": description,
                "kind": kind,
                "accessible_during_trial": False,
                "trial_value": None,
                "deprecating": False,
            }
            for slug, name, kind, description in FEATURES
        ],
    )
    feature_ids = dict(op.get_bind().execute(sa.select(features.c.slug, features.c.id)).all())

    kill_switches = sa.table(
        "kill_switches",
        sa.column("name", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("feature_id", sa.BigInteger()),
        sa.column("enabled", sa.Boolean()),
    )
    op.bulk_insert(
        kill_switches,
        [
            {
                "name": name,
                "kind": kind,
                "description": description,
                "feature_id": feature_ids[name] if kind == "feature" else None,
                "enabled": True,
            }
            for name, kind, description in SWITCHES
        ],
    )


def _drop_tables():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_tenants_platform_plan_id_platform_plans"), type_="foreignkey"
        )

    with op.batch_alter_table("kill_switch_schedules", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_kill_switch_schedules_pending",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )

    op.drop_table("kill_switch_schedules")
    op.drop_index("ix_kill_switch_events_switch_created", table_name="kill_switch_events")
    op.drop_table("kill_switch_events")
    with op.batch_alter_table("tenant_features", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenant_features_feature_id"))

    op.drop_table("tenant_features")
    with op.batch_alter_table("platform_plan_features", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_plan_features_feature_id"))

    op.drop_table("platform_plan_features")
    op.drop_table("kill_switches")
    op.drop_table("platform_plans")
    op.drop_table("features")
    op.drop_table("config_versions")
