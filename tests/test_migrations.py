"""Migrations: one head, upgrade from an empty database, `flask db check` clean (subprocess)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

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
    with reach.scratch_postgres("test_migr") as url:
        yield url


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
