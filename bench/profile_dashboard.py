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


def hello_app():
    sys.path.insert(0, str(ROOT / "bench"))
    from hello_app import make_app

    return make_app()


def timed(app, path, count) -> tuple[float, float, float]:
    """Median wall-clock, median CPU and first-decile CPU milliseconds of ``count`` GET requests."""
    wall, cpu = [], []
    for _ in range(count):
        start, cpu_start = time.perf_counter(), time.process_time()
        app.get(path)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return (statistics.median(wall) * 1000, statistics.median(cpu) * 1000,
            statistics.quantiles(cpu, n=10)[0] * 1000)


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

    hello = TestApp(hello_app())
    platform_times = timed(app, args.path, args.requests)
    hello_times = timed(hello, "/", args.requests)
    # CPU time of this process varies less than the wall clock on a machine shared with other work, and
    # its first decile less than its median.
    for name, (wall, cpu, cpu_p10) in (("platform", platform_times), ("hello", hello_times)):
        print(f"{name:8}: median {wall:.2f} ms; CPU median {cpu:.2f} ms, first decile {cpu_p10:.2f} ms "
              f"({args.requests} requests through WebTest, no HTTP)")
    print("overhead: " + "; ".join(f"{label} {p - h:.2f} ms" for label, p, h in zip(
        ("median", "CPU median", "CPU first decile"), platform_times, hello_times)))
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
