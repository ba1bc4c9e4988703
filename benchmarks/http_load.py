"""Requests per second of a WSGI app served by gunicorn, driven over loopback HTTP keep-alive."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(app_spec: str, env: dict[str, str], threads: int = 4):
    """gunicorn with one gthread worker (keep-alive) serving `module:factory()`; yields port."""
    port = _free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app_spec,
    ]
    proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env})
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {proc.returncode}") from None
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def load_tool() -> str:
    """'wrk' when installed (a C client that costs the server nothing), else 'python'."""
    return "wrk" if shutil.which("wrk") else "python"


def drive(port: int, host: str, path: str, seconds: float, connections: int = 2) -> float:
    """Requests per second over `connections` keep-alive connections for `seconds`."""
    if load_tool() == "wrk":
        return _drive_wrk(port, host, path, seconds, connections)
    return _drive_python(port, host, path, seconds, connections)


def _drive_wrk(port: int, host: str, path: str, seconds: float, connections: int) -> float:
    argv = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "-H",
        f"Host: {host}",
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 30)
    if "Non-2xx" in out.stdout:
        raise RuntimeError(f"non-2xx answers from {host}{path}:\n{out.stdout}")
    line = next(line for line in out.stdout.splitlines() if line.startswith("Requests/sec:"))
    return float(line.split()[1])


def _drive_python(port: int, host: str, path: str, seconds: float, connections: int) -> float:
    counts = [0] * connections
    errors: list[str] = []
    stop_at = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Host": host}
        try:
            while time.perf_counter() < stop_at:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(f"{response.status} from {host}{path}")
                    return
                counts[slot] += 1
        finally:
            conn.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise RuntimeError(errors[0])
    return sum(counts) / (time.perf_counter() - started)
