"""`python -m benchmarks [name ...]`: run every benchmark module (or the named ones) in turn."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import time
from pathlib import Path


def available() -> list[str]:
    """Modules with a main(argv); helpers such as http_load have none."""
    folder = Path(__file__).resolve().parent
    names = [m.name for m in pkgutil.iter_modules([str(folder)]) if not m.name.startswith("_")]
    return sorted(n for n in names if hasattr(importlib.import_module(f"benchmarks.{n}"), "main"))


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available())}")
        return 2
    failed = []
    for name in names:
        print(f"== benchmarks.{name}", flush=True)
        started = time.perf_counter()
        # Each benchmark in its own interpreter: one leaves bus listener threads, caches and
        # backends behind that would otherwise skew the next one's figures.
        code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}"])
        print(f"== benchmarks.{name} took {time.perf_counter() - started:.1f} s\n", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"crashed: {', '.join(failed)}")
    # Missed targets are printed by each benchmark; only a crash fails the command.
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
