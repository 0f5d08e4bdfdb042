"""Requests per second and latency of an authenticated dashboard page against a bare Pyramid "hello" app,
both under waitress on this machine, measured side by side in the same run; plus the web process's memory.

    .venv/bin/python bench/dashboard.py [--requests 2000] [--rounds 10] [--database-url URL]

The platform's overhead per request is the difference of the median latencies of the two apps, taken
round by round in alternating short rounds and then the median over the rounds (target: under 3 ms).
The CPU time each server process spends per request is printed too: on a machine shared with other
work it moves much less than the latencies."""
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

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


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    path: str
    make_client: Callable[[], Client]
    rounds: list = field(default_factory=list)  # (latencies, elapsed seconds, server CPU seconds) per round

    def measure(self, clients, count):
        """``count`` GET requests spread over ``clients`` (one thread each)."""
        latencies = []
        lock = threading.Lock()

        def worker(client, n):
            local = []
            for _ in range(n):
                start = time.perf_counter()
                status, _ = client.request("GET", self.path)
                local.append(time.perf_counter() - start)
                if status != 200:
                    raise RuntimeError(f"{self.name} {self.path}: HTTP {status}")
            with lock:
                latencies.extend(local)

        cpu, started = cpu_seconds(self.process.pid), time.perf_counter()
        pool = [threading.Thread(target=worker, args=(client, count // len(clients))) for client in clients]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        return latencies, time.perf_counter() - started, cpu_seconds(self.process.pid) - cpu

    def summary(self) -> tuple[float, float, float, float]:
        """req/s, median and p95 latency (ms), server CPU per request (ms) over all rounds."""
        latencies = [latency for round_latencies, _, _ in self.rounds for latency in round_latencies]
        elapsed = sum(seconds for _, seconds, _ in self.rounds)
        cpu = sum(seconds for _, _, seconds in self.rounds)
        return (len(latencies) / elapsed, statistics.median(latencies) * 1000,
                statistics.quantiles(latencies, n=20)[18] * 1000, cpu / len(latencies) * 1000)


def compare(platform: Server, hello: Server, threads: int, requests: int, rounds: int):
    """Alternate short rounds of both apps, so that both see the same load from the rest of the machine."""
    clients = {server.name: [server.make_client() for _ in range(threads)] for server in (platform, hello)}
    for server in (platform, hello):
        server.rounds = []
        server.measure(clients[server.name], 20 * threads)  # warm up
    for number in range(rounds):
        for server in (platform, hello) if number % 2 == 0 else (hello, platform):
            server.rounds.append(server.measure(clients[server.name], requests // rounds))
    for server in (platform, hello):
        rps, median, p95, cpu = server.summary()
        print(f"{server.name:10} {threads:>7} {rps:>9.0f} {median:>10.2f} {p95:>8.2f} {cpu:>11.2f}")
    # Each round against the hello round next to it: the machine's load changes between rounds, not within.
    overheads = sorted((statistics.median(p[0]) - statistics.median(h[0])) * 1000
                       for p, h in zip(platform.rounds, hello.rounds))
    ratio = platform.summary()[0] / hello.summary()[0]
    print(f"threads={threads}: throughput ratio platform/hello = {ratio:.3f}; overhead per request (median of "
          f"{rounds} paired rounds) = {statistics.median(overheads):.2f} ms (rounds {overheads[0]:.2f}–"
          f"{overheads[-1]:.2f}); server CPU per request {platform.summary()[3] - hello.summary()[3]:.2f} ms more")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="per app and thread count")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds the requests are split into")
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

    def platform_client():
        client = Client(platform_port)
        login(client, "segreteria@ordine-demo.it", "demo-occ-2026")
        return client

    platform = Server("platform", subprocess.Popen(occ + ["serve", "--no-worker", "--port", str(platform_port)],
                                                   env=env, cwd=ROOT, **quiet), "/demo/", platform_client)
    hello = Server("hello", subprocess.Popen([sys.executable, str(ROOT / "bench" / "hello_app.py"), str(hello_port)],
                                             **quiet), "/", lambda: Client(hello_port))
    try:
        wait_until_up(platform_port)
        wait_until_up(hello_port)
        print(f"{'app':10} {'threads':>7} {'req/s':>9} {'median ms':>10} {'p95 ms':>8} {'CPU ms/req':>11}")
        for threads in (1, 4):
            compare(platform, hello, threads, args.requests, args.rounds)
        print(f"memory (RSS): platform web process {rss_mb(platform.process.pid):.1f} MB, "
              f"hello process {rss_mb(hello.process.pid):.1f} MB")
    finally:
        for server in (platform, hello):
            server.process.terminate()
            server.process.wait(timeout=30)


if __name__ == "__main__":
    main()
