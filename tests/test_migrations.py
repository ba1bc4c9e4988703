"""Migrations: one head, upgrade from an empty database, `flask db check` clean (subprocess)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support import services as reach

ROOT = Path(__file__).resolve().parents[1]


def test_one_head():
    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@pytest.fixture
def empty_database(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"test_migr_{secrets.token_hex(4)}"
    admin = create_engine(reach.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(reach.PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def flask_db(database_url, *args):
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_upgrade_from_empty_then_check_is_clean_and_downgrade_works(empty_database):
    for step in (("upgrade",), ("check",), ("downgrade", "base"), ("upgrade",), ("check",)):
        result = flask_db(empty_database, *step)
        assert result.returncode == 0, (step, result.stdout, result.stderr)
    assert "No new upgrade operations detected" in result.stdout + result.stderr
