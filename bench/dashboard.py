"""Requests per second and latency of an authenticated dashboard page against a bare Pyramid "hello" app,
both under waitress on this machine, measured side by side in the same run; plus the web process's memory.

    .venv/bin/python bench/dashboard.py [--requests 2000] [--database-url URL]

The platform's overhead per request is the difference of the median latencies (target: under 3 ms)."""
from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Client:
    """A keep-alive HTTP client that carries cookies."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies = {}

    def request(self, method, path, body=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            body = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data


def login(client, email, password):
    _status, page = client.request("GET", "/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    status, _ = client.request("POST", "/login", {"csrf_token": token, "email": email, "password": password, "next": "/"})
    if status != 302:
        raise RuntimeError("login failed")


def measure(make_client, path, count, threads):
    latencies = []
    lock = threading.Lock()

    def worker(n):
        client = make_client()
        local = []
        for _ in range(n):
            start = time.perf_counter()
            status, _ = client.request("GET", path)
            local.append(time.perf_counter() - start)
            if status != 200:
                raise RuntimeError(f"{path}: HTTP {status}")
        with lock:
            latencies.extend(local)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(count // threads,)) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, statistics.quantiles(latencies, n=20)[18] * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: embedded SQLite")
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="occ-bench-")
    env = dict(os.environ, OCC_VAR_DIR=var_dir, OCC_CELERY_EAGER="true")
    if args.database_url:
        env["OCC_DATABASE_URL"] = args.database_url
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    occ = [str(BIN / "occ"), "--config", str(ROOT / "production.ini")]
    subprocess.run(occ + ["db", "upgrade"], env=env, check=True, cwd=ROOT, **quiet)
    subprocess.run(occ + ["demo"], env=env, check=True, cwd=ROOT, **quiet)

    platform_port, hello_port = free_port(), free_port()
    env["OCC_BASE_URL"] = f"http://127.0.0.1:{platform_port}"
    servers = [
        subprocess.Popen(occ + ["serve", "--no-worker", "--port", str(platform_port)], env=env, cwd=ROOT, **quiet),
        subprocess.Popen([sys.executable, str(ROOT / "bench" / "hello_app.py"), str(hello_port)], **quiet),
    ]
    try:
        wait_until_up(platform_port)
        wait_until_up(hello_port)

        def platform_client():
            client = Client(platform_port)
            login(client, "segreteria@ordine-demo.it", "demo-occ-2026")
            return client

        # Warm up both, then alternate rounds so that both see the same machine state.
        measure(platform_client, "/demo/", 100, 1)
        measure(lambda: Client(hello_port), "/", 100, 1)
        rows = []
        for threads in (1, 4):
            for _round in range(2):
                rows.append(("platform", threads, *measure(platform_client, "/demo/", args.requests, threads)))
                rows.append(("hello", threads, *measure(lambda: Client(hello_port), "/", args.requests, threads)))
        print(f"{'app':10} {'threads':>7} {'req/s':>9} {'median ms':>10} {'p95 ms':>8}")
        for name, threads, rps, median, p95 in rows:
            print(f"{name:10} {threads:>7} {rps:>9.0f} {median:>10.2f} {p95:>8.2f}")
        for threads in (1, 4):
            platform = [r for r in rows if r[0] == "platform" and r[1] == threads]
            hello = [r for r in rows if r[0] == "hello" and r[1] == threads]
            p_median = statistics.median(r[3] for r in platform)
            h_median = statistics.median(r[3] for r in hello)
            p_rps = statistics.median(r[2] for r in platform)
            h_rps = statistics.median(r[2] for r in hello)
            print(f"threads={threads}: throughput ratio platform/hello = {p_rps / h_rps:.3f}; "
                  f"overhead per request (median) = {p_median - h_median:.2f} ms")
        print(f"memory (RSS): platform web process {rss_mb(servers[0].pid):.1f} MB, "
              f"hello process {rss_mb(servers[1].pid):.1f} MB")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
