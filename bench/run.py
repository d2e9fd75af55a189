#!/usr/bin/env python
"""Benchmarks: the portal under gunicorn on PostgreSQL, driven by wrk, results in bench/results/.

    make bench                          # all benchmarks
    make bench BENCH_ARGS="--duration 30 home"

Each run: create/migrate the bench database, seed demo data, collect static files, start
gunicorn with production settings, warm up, then load each URL with wrk (HTTP keep-alive,
fixed connections) and write bench/results/<name>.json with throughput and p50/p95 latency.

The first benchmark compares the home page (a Wagtail page with database reads) with a
trivial Django view on the same server in the same run (/healthz): the stack's ceiling on this
machine. The ratio is the figure to watch; absolute numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable


def environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/6"),
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",  # plain HTTP on loopback
        "VAR_DIR": str(ROOT / "var" / "bench"),
        "LOG_LEVEL": "WARNING",
        "SMS_BACKEND": "file",
        "EMAIL_BACKEND": "file",
    }


def ensure_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def start_gunicorn(env: dict[str, str], *, port: int, workers: int) -> subprocess.Popen:
    """The portal under gunicorn on 127.0.0.1:port, as in production (stop it with SIGTERM)."""
    command = [PYTHON, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--log-level", "warning"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not answer {url} within {timeout}s")


def wrk(url: str, *, seconds: int, connections: int, threads: int, headers=None) -> dict:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "report.lua"),
        url,
    ]
    for name, value in (headers or {}).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    seconds_measured = result["duration_us"] / 1_000_000
    return {
        "url": url,
        "requests": result["requests"],
        "requests_per_second": round(result["requests"] / seconds_measured, 1),
        "p50_ms": round(result["p50_us"] / 1000, 2),
        "p95_ms": round(result["p95_us"] / 1000, 2),
        "p99_ms": round(result["p99_us"] / 1000, 2),
        "mean_ms": round(result["mean_us"] / 1000, 2),
        "errors": result["socket_errors"] + result["non_2xx_3xx"],
    }


def bench_home(base: str, args) -> dict:
    load = {"seconds": args.duration, "connections": args.connections, "threads": 2}
    for path in ("/", "/healthz"):  # warm caches, templates and connections
        wrk(base + path, seconds=3, connections=args.connections, threads=2)
    home = wrk(base + "/", **load)
    ceiling = wrk(base + "/healthz", **load)
    return {
        "name": "home",
        "what": "home page (Wagtail HomePage) vs a trivial Django view (/healthz) on the same "
        "gunicorn server in the same run",
        "home": home,
        "ceiling": ceiling,
        "home_vs_ceiling_throughput_ratio": round(
            home["requests_per_second"] / ceiling["requests_per_second"], 3
        ),
        "home_vs_ceiling_p50_ratio": round(home["p50_ms"] / max(ceiling["p50_ms"], 0.001), 2),
    }


BENCHMARKS = {"home": bench_home}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {', '.join(BENCHMARKS)}")
    parser.add_argument("--duration", type=int, default=20, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    parser.add_argument("--port", type=int, default=8077)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qiaoxin_bench"
        ),
    )
    args = parser.parse_args()
    args.names = args.names or list(BENCHMARKS)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    env = environment(args.database_url)
    ensure_database(args.database_url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo")
    manage(env, "collectstatic", "--noinput", "-v0")

    base = f"http://127.0.0.1:{args.port}"
    server = start_gunicorn(env, port=args.port, workers=args.workers)
    try:
        wait_until_up(base + "/healthz")
        RESULTS.mkdir(parents=True, exist_ok=True)
        for name in args.names:
            result = BENCHMARKS[name](base, args)
            result.update(
                {
                    "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": {
                        "cpus": os.cpu_count(),
                        "python": platform.python_version(),
                        "platform": platform.platform(),
                    },
                    "server": {"gunicorn_workers": args.workers, "database": "PostgreSQL"},
                    "load": {
                        "tool": "wrk",
                        "connections": args.connections,
                        "seconds": args.duration,
                        "note": "load generator runs on the same machine as the server",
                    },
                }
            )
            path = RESULTS / f"{name}.json"
            path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
            print(json.dumps(result, ensure_ascii=False, indent=2))
            print(f"written {path.relative_to(ROOT)}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
