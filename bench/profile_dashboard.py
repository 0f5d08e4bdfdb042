"""In-process profile of the authenticated dashboard: where a request's time goes, without HTTP.

    .venv/bin/python bench/profile_dashboard.py [--requests 500] [--database-url URL] [--profile [--top 40]]

It prepares a fresh database like ``dashboard.py`` (production.ini settings), logs in as the demo
secretariat through WebTest, then prints the SQL statements of one request, the median time of a
request and, with ``--profile``, a cProfile of the requests sorted by cumulative and by own time."""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--path", default="/demo/")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the requests")
    args = parser.parse_args()

    os.environ.update(OCC_VAR_DIR=tempfile.mkdtemp(prefix="occ-profile-"), OCC_CELERY_EAGER="true")
    if args.database_url:
        os.environ["OCC_DATABASE_URL"] = args.database_url
    occ = [str(BIN / "occ"), "--config", str(ROOT / "production.ini")]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(occ + ["db", "upgrade"], check=True, cwd=ROOT, **quiet)
    subprocess.run(occ + ["demo"], check=True, cwd=ROOT, **quiet)

    from webtest import TestApp

    from occ_core.cli import load_settings
    from occ_core.config import make_app
    from occ_core.testing.factories import counted_queries, login

    settings = load_settings(str(ROOT / "production.ini"))
    # WebTest speaks plain HTTP, where a browser would not send back a "secure" cookie.
    settings["occ.secure_cookies"] = "false"
    app = TestApp(make_app(settings))
    login(app, "segreteria@ordine-demo.it", "demo-occ-2026")
    for _ in range(50):
        app.get(args.path)
    with counted_queries(app.app.registry) as statements:
        app.get(args.path)
    print(f"{len(statements)} SQL statements per request:")
    for statement in statements:
        print("  ", " ".join(statement.split())[:160])

    timings, cpu_times = [], []
    for _ in range(args.requests):
        start, cpu_start = time.perf_counter(), time.process_time()
        app.get(args.path)
        timings.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    # CPU time of this process: on a machine shared with other work it varies less than the wall clock.
    print(f"median {statistics.median(timings) * 1000:.2f} ms, CPU {statistics.median(cpu_times) * 1000:.2f} ms, "
          f"over {args.requests} requests (WebTest, no HTTP)")
    if not args.profile:
        return

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        app.get(args.path)
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
