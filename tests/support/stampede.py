"""One process of the cross-process stampede test: N threads resolve one cold host together.

usage: python -m tests.support.stampede DATABASE_URL REDIS_URL HOST THREADS START_AT
prints JSON: {"queries": unified queries issued here, "ids": [tenant ids seen]}
"""

import json
import sys
import threading
import time

from tests.conftest import make_test_app


def main() -> int:
    database_url, redis_url, host, threads, start_at = sys.argv[1:6]
    app = make_test_app(database_url, REDIS_URL=redis_url, BUS="redis")
    from services.tenancy import loader
    from services.tenancy.resolver import get_resolver

    results = []
    barrier = threading.Barrier(int(threads))

    def work():
        with app.app_context():
            barrier.wait()
            tenant = get_resolver().resolve_host(host)
            results.append(tenant.id if tenant else None)

    workers = [threading.Thread(target=work) for _ in range(int(threads))]
    time.sleep(max(0.0, float(start_at) - time.time()))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps({"queries": loader.stats["queries"], "ids": results}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
