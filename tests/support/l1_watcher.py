"""A second process for invalidation tests: resolves a host, then reports when its view changes.

usage: python -m tests.support.l1_watcher DATABASE_URL REDIS_URL|- HOST rename|gone
"""

import sys
import time

from tests.conftest import make_test_app


def main() -> int:
    database_url, redis_url, host, mode = sys.argv[1:5]
    redis_url = None if redis_url == "-" else redis_url
    app = make_test_app(
        database_url, REDIS_URL=redis_url, BUS="redis" if redis_url else "table", TENANT_L1_TTL=30.0
    )
    from services.tenancy.bus import bus
    from services.tenancy.resolver import get_resolver

    with app.app_context():
        bus.ensure_listener()
        first = get_resolver().resolve_host(host)
        print(f"ready {first.name if first else None}", flush=True)
        time.sleep(0.3)  # let the listener subscribe before the parent writes
        print("listening", flush=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            current = get_resolver().resolve_host(host)
            changed = current is None if mode == "gone" else current.name != first.name
            if changed:
                print(f"seen {time.time():.6f} {current.name if current else None}", flush=True)
                return 0
            time.sleep(0.01)
    print("timeout", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
