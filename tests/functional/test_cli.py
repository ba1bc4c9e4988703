"""The `flask --app wsgi` commands: demo seed, tenants, domains, cache, staff, tokens."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, ApiToken, Domain, Tenant, User
from services import activity, seed_commerce_data
from services.features import definitions, grants
from tests.functional.conftest import in_platform


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_demo_is_idempotent_and_prints_the_logins(app):
    first = run(app, "seed-demo")
    second = run(app, "seed-demo")
    assert "staff@example.com" in first and "demo-password" in first
    assert first == second
    with app.app_context():
        statuses = dict(db.session.execute(select(Tenant.slug, Tenant.status)).all())
        assert statuses == {"demo": "active", "acme": "trial", "northwind": "suspended"}
        users = db.session.scalar(select(func.count()).select_from(User))
        # staff + super admin, an admin and a reader per tenant, the commerce demo's readers
        readers = seed_commerce_data.SMALL_COUNTS["readers"]
        assert users == 2 + 3 * 2 + 3 * readers


def test_tenant_and_domain_commands(app):
    # `tenants create` names no platform plan: the first admin needs trial access to admins.
    with in_platform(app):
        feature = definitions.find_feature("admin_limit")
        actor = activity.cli_actor()  # the test checks every activity row is a CLI one
        definitions.update_feature(actor, feature, accessible_during_trial=True, trial_value="2")
    out = run(
        app,
        "tenants",
        "create",
        "--slug",
        "clipress",
        "--name",
        "CLI Press",
        "--status",
        "trial",
        "--admin-email",
        "owner@clipress.example",
    )
    assert "set-password link: http://clipress.localhost:5000/password/reset/" in out
    run(app, "domains", "add", "clipress", "read.clipress.test", "--primary")
    run(app, "tenants", "suspend", "clipress", "--reason", "unpaid invoices")
    assert "clipress" in run(app, "tenants", "list", "--status", "suspended")
    run(app, "tenants", "reactivate", "clipress", "--reason", "paid in full")
    assert "tenant" in run(app, "tenancy", "resolve", "read.clipress.test")
    run(app, "tenancy", "cache-purge", "--tenant", "clipress")
    with app.app_context():
        primary = db.session.scalar(select(Domain.host).where(Domain.is_primary))
        assert primary == "read.clipress.test"
        actors = set(db.session.scalars(select(Activity.actor_label)))
        assert all(a.startswith("cli:") for a in actors)


def test_bad_input_exits_with_a_message_and_changes_nothing(app):
    result = app.test_cli_runner().invoke(
        args=["tenants", "create", "--slug", "a--b", "--name", "X"]
    )
    assert result.exit_code == 1 and "lower-case letters" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tenant)) == 0


def test_staff_password_link_and_api_tokens(app):
    run(
        app,
        "users",
        "create-staff",
        "--email",
        "ops@example.com",
        "--name",
        "Ops",
        "--password",
        "a-long-password",
        "--super-admin",
    )
    link = run(app, "users", "password-link", "--email", "ops@example.com").strip()
    assert link.startswith("http://app.localhost:5000/platform/password/reset/")
    token = run(app, "api-tokens", "create", "--name", "reporting").strip()
    assert token.startswith("plt_")
    run(app, "api-tokens", "revoke", token[:8])
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.revoked_at is not None


def test_tenants_create_on_a_platform_plan(app):
    with in_platform(app):
        plan = definitions.create_plan(activity.cli_actor(), slug="duo", name="Duo")
        admin_limit = definitions.find_feature("admin_limit")
        grants.set_grant(activity.cli_actor(), plan, admin_limit, "2")
        plan_id = plan.id
    args = ("--name", "Plan Press", "--admin-email", "o@planpress.example")
    run(app, "tenants", "create", "--slug", "planpress", "--platform-plan", "duo", *args)
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "planpress"))
        assert tenant.platform_plan_id == plan_id
    result = app.test_cli_runner().invoke(
        args=["tenants", "create", "--slug", "nope-press", "--platform-plan", "nope", *args]
    )
    assert result.exit_code == 1 and "No platform plan 'nope'" in result.output
