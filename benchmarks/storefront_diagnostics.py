"""Diagnostics of the storefront benchmark: EXPLAIN (ANALYZE, BUFFERS) of a row's slowest
statement with and without JIT, and cProfile of its requests."""

from __future__ import annotations

import cProfile
import io
import pstats


def _explain(app, statement: str, parameters, jit: bool) -> list[str]:
    from app.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"SET LOCAL jit = {'on' if jit else 'off'}")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            return [line for (line,) in cursor.fetchall()]
        finally:
            raw.rollback()
            raw.close()


def _figure(plan: list[str], prefix: str, word: str = "") -> str:
    for line in plan:
        found = line.strip()
        if found.startswith(prefix):
            return found.rsplit(word, 1)[-1].strip() if word else found.split(":", 1)[1].strip()
    return "0 ms"


def explain(app, row, full: bool) -> list[str]:
    """The slowest statement of a request in the phase that missed (warm first): its time with
    and without JIT compilation, and with `full` its whole EXPLAIN (ANALYZE, BUFFERS)."""
    phase = (row.missed() or ["warm"])[0]
    ms, statement, parameters = row.slowest[phase]
    plan = _explain(app, statement, parameters, jit=True)
    without = _figure(_explain(app, statement, parameters, jit=False), "Execution Time")
    flat = " ".join(statement.split())
    lines = [
        f"\n{row.label} ({phase}): slowest statement {ms:.1f} ms of {row.sql_ms[phase]:.1f} ms "
        f"SQL in {row.sql[phase]} statements; EXPLAIN ANALYZE: execution "
        f"{_figure(plan, 'Execution Time')}, JIT compile {_figure(plan, 'Timing:', 'Total')}, "
        f"with jit=off {without}",
        "  SELECT ..." + flat[flat.find(" FROM ") :][:2500],
    ]
    return lines + ["  " + line for line in plan] if full else lines


def profile(client, row, requests: int, fetch) -> list[str]:
    """cProfile of `requests` warm requests of the row's page."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        fetch(client, row.url)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(15)
    return [f"\ncProfile of {requests} warm requests, {row.label}:", *out.getvalue().splitlines()]
