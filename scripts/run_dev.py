"""`make run`: migrate the embedded database, seed once, start web, worker and beat together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
INSTANCE = ROOT / "instance"
PORT = int(os.environ.get("PORT", "5000"))


def flask(*args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, check=True)


def start(name: str, argv: list[str]) -> subprocess.Popen:
    print(f"starting {name}: {' '.join(argv)}", flush=True)
    # Each child leads its own process group so Ctrl-C handling stays here, in one place.
    return subprocess.Popen(argv, cwd=ROOT, start_new_session=True)


def stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()  # Celery's warm shutdown stops its own pool children
    deadline = time.time() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)


def main() -> int:
    os.environ.setdefault("APP_ENV", "development")
    INSTANCE.mkdir(exist_ok=True)
    flask("db", "upgrade")
    flask("seed-demo")  # idempotent: creates the demo data on the first start only
    domain = os.environ.get("PLATFORM_DOMAIN", "localhost")
    children = [
        start(
            "web",
            [
                str(BIN / "flask"),
                "--app",
                "wsgi",
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(PORT),
                "--with-threads",
                "--no-reload",
            ],
        ),
        start(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "workers.main",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
            ],
        ),
        start("beat", [str(BIN / "celery"), "-A", "workers.main", "beat", "--loglevel=INFO"]),
    ]
    print(
        f"""
  Platform (staff):  http://app.{domain}:{PORT}/platform/   staff@example.com
  Demo store:        http://demo.{domain}:{PORT}/            admin@demo.example, reader@demo.example
  Acme store:        http://acme.{domain}:{PORT}/            admin@acme.example, reader@acme.example
  Suspended store:   http://northwind.{domain}:{PORT}/       admin@northwind.example
  Control panel:     /dashboard on any store host (tenant admins)
  Password for every demo login: demo-password
  Press Ctrl-C to stop everything.
""",
        flush=True,
    )
    stopping = {"now": False}

    def on_signal(signum, frame):
        stopping["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stopping["now"]:
            for child in children:
                if child.poll() is not None:
                    print(
                        f"a process exited with {child.returncode}; stopping the rest", flush=True
                    )
                    stopping["now"] = True
            time.sleep(0.3)
    finally:
        stop(children)
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
