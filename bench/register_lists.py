#!/usr/bin/env python
"""Register lists at a million members: the household list's first page filtered by
community, the member list searched by a Chinese name (陈华) and by pinyin initials (zwm), and
the whole member list (a million rows: its count stops at ``REGISTER_LIST_COUNT_LIMIT``), each
driven over HTTP by wrk with one connection (one request's latency) against gunicorn with
production settings, logged in as staff, next to ``/healthz`` in the same run (the stack's floor
on this machine: the ratio is the figure to compare across machines). Each round also notes the
CPU each request cost the gunicorn workers and PostgreSQL's backends (``/proc``, as
bench/signups.py does): on a shared machine that moves far less than the latency.

Goal: median ≤ 40 ms for each list.

    .venv/bin/python bench/register_lists.py                    # build (once) and measure
    .venv/bin/python bench/register_lists.py --members 200000   # a quicker register
    .venv/bin/python bench/register_lists.py --runs 5           # more rounds on a noisy machine

The register is built once (migrate, demo seed without households, import of a generated
.xlsx through ``manage.py import_register``, as bench/register.py does) and kept: later runs
measure only, unless ``--rebuild``. Each round measures every URL once, the URLs taking turns,
so a burst of load on a shared machine hits all of them alike; the result holds every round
and the median of the rounds' medians. Writes bench/results/register_lists.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from register import generate, login
from run import PYTHON, RESULTS, ROOT, environment, start_gunicorn, wait_until_up, wrk
from signups import CpuMeter

# Redis databases of their own, apart from the other benchmarks' (5 and 6) and the tests'.
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
os.environ.setdefault("BENCH_BROKER_URL", "redis://127.0.0.1:6379/11")

TARGET_P50_MS = 40
NAME = "陈华"
INITIALS = "zwm"


def _connect(database_url: str):
    import psycopg

    return psycopg.connect(database_url)


def _members_in(database_url: str) -> int | None:
    import psycopg

    try:
        with _connect(database_url) as db:
            return db.execute("SELECT count(*) FROM households_member").fetchone()[0]
    except psycopg.Error:
        return None


def build(args, env: dict) -> None:
    import psycopg

    name = args.database_url.rsplit("/", 1)[1]
    with psycopg.connect(args.database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "seed_demo", "--households", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with _connect(args.database_url) as db:
        communities = db.execute(
            "SELECT c.name, g.name FROM households_gridgroup g JOIN households_community c "
            "ON c.id = g.community_id ORDER BY g.id"
        ).fetchall()
    work = ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"register-{args.members}.xlsx"
    if not path.exists():
        print(f"generating {path.name} …", flush=True)
        generate(path, args.members, prefix="L", communities=communities)
    print(f"importing {args.members} members …", flush=True)
    subprocess.run(
        [*manage, "import_register", str(path)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _gunicorn(env: dict, *, port: int, workers: int, cwd: Path) -> subprocess.Popen:
    if cwd == ROOT:
        return start_gunicorn(env, port=port, workers=workers)
    # the baseline: another checkout of the code, on the same database and settings
    command = [PYTHON, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--log-level", "warning"]  # fmt: skip
    return subprocess.Popen(command, cwd=cwd, env=env)


def measure(args, env: dict) -> dict:
    import psycopg

    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    with psycopg.connect(args.database_url, autocommit=True) as db:
        db.execute("VACUUM ANALYZE")
    with _connect(args.database_url) as db:
        community_id = db.execute(
            "SELECT id FROM households_community ORDER BY sort_order, name LIMIT 1"
        ).fetchone()[0]
        members = db.execute("SELECT count(*) FROM households_member").fetchone()[0]
        households = db.execute("SELECT count(*) FROM households_household").fetchone()[0]
    pages = {
        "household_list_by_community": f"/admin/register/households/?community={community_id}",
        "name_search": "/admin/register/members/?" + urllib.parse.urlencode({"q": NAME}),
        "pinyin_initials_search": "/admin/register/members/?"
        + urllib.parse.urlencode({"q": INITIALS}),
        "member_list_all": "/admin/register/members/",
        "healthz": "/healthz",
    }
    servers = {"": (f"http://127.0.0.1:{args.port}", ROOT)}
    if args.baseline:
        servers["baseline"] = (f"http://127.0.0.1:{args.port + 1}", Path(args.baseline))
    processes = [
        _gunicorn(env, port=int(base.rsplit(":", 1)[1]), workers=args.workers, cwd=cwd)
        for base, cwd in servers.values()
    ]
    rounds: dict[str, list[dict]] = {
        f"{label}:{key}".lstrip(":"): [] for label in servers for key in pages
    }
    try:
        headers = {}
        for base, _cwd in servers.values():
            wait_until_up(base + "/healthz")
            # one session serves both servers: same database and secret key
            headers = headers or {"Cookie": login(base, "13900000006", "qiaoxin2026")}
            for key, path in pages.items():
                if key != "healthz":
                    check = urllib.request.Request(base + path, headers=headers)
                    with urllib.request.urlopen(check) as response:  # the page, no redirect
                        if response.url != base + path or response.status != 200:
                            raise SystemExit(f"{path}: not served as the logged-in staff user")
                # warm: templates, the menu, the filter choices, connections
                wrk(base + path, seconds=3, connections=1, threads=1, headers=headers)
        # CPU per request of the server's workers and of PostgreSQL's backends (both servers
        # share the database; the other one is idle while a URL is measured): the figure that
        # depends least on what else the machine is doing
        meters = {
            label: CpuMeter(process.pid, args.database_url)
            for label, process in zip(servers, processes, strict=True)
        }
        for number in range(args.runs):
            # URLs and servers take turns, so a burst of load elsewhere hits all alike
            for key, path in pages.items():
                for label, (base, _cwd) in servers.items():
                    before = meters[label].read()
                    measured = wrk(
                        base + path,
                        seconds=args.seconds,
                        connections=1,
                        threads=1,
                        headers=headers,
                    )
                    spent = CpuMeter.spent(before, meters[label].read())
                    requests = max(measured["requests"], 1)
                    measured["cpu_ms_per_request"] = {
                        "gunicorn_workers": round(spent["workers"] * 1000 / requests, 2),
                        "postgres_backends": round(spent["postgres"] * 1000 / requests, 2),
                    }
                    measured["url"] = path
                    name = f"{label}:{key}".lstrip(":")
                    rounds[name].append(measured)
                    print(
                        f"round {number + 1} {name}: p50 {measured['p50_ms']} ms, CPU "
                        f"{measured['cpu_ms_per_request']['gunicorn_workers']} ms a request",
                        flush=True,
                    )
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

    result: dict = {
        "name": "register_lists",
        "what": "register lists at a million members, one connection (latency of one request), "
        "logged in as staff, with /healthz in the same run as the floor",
        "members_in_register": members,
        "households_in_register": households,
        "target_p50_ms": TARGET_P50_MS,
        "pages": {},
    }
    for key, measured in rounds.items():
        prefix = key.rpartition(":")[0]
        floor = statistics.median(r["p50_ms"] for r in rounds[f"{prefix}:healthz".lstrip(":")])
        p50 = statistics.median(r["p50_ms"] for r in measured)
        page = {
            "url": measured[0]["url"],
            "p50_ms": round(p50, 2),
            "p95_ms": round(statistics.median(r["p95_ms"] for r in measured), 2),
            "cpu_ms_per_request": {
                kind: round(statistics.median(r["cpu_ms_per_request"][kind] for r in measured), 2)
                for kind in ("gunicorn_workers", "postgres_backends")
            },
            "rounds": [
                {k: r[k] for k in ("p50_ms", "p95_ms", "requests", "errors", "cpu_ms_per_request")}
                for r in measured
            ],
            "errors": sum(r["errors"] for r in measured),
        }
        if not key.endswith("healthz"):
            page["vs_healthz_p50"] = round(p50 / max(floor, 0.001), 1)
            page["met"] = p50 <= TARGET_P50_MS and page["errors"] == 0
        result["pages"][key] = page
    result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["machine"] = {
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "database": "PostgreSQL (local)",
        "note": "shared machine: the load generator, gunicorn and PostgreSQL run on it together",
    }
    result["load"] = {
        "tool": "wrk",
        "connections": 1,
        "seconds_per_round": args.seconds,
        "rounds": args.runs,
        "gunicorn_workers": args.workers,
        "p50_ms is": "the median of the rounds' medians",
        "baseline": args.baseline or None,
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10, help="seconds per URL and round")
    parser.add_argument("--runs", type=int, default=3, help="rounds over all URLs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--rebuild", action="store_true", help="build the register again")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="another checkout of the code (git archive COMMIT | tar -x -C DIR) measured in the "
        "same rounds on the next port: pages named baseline:… in the result",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_REGISTER_LISTS_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/qiaoxin_bench_register_lists",
        ),
    )
    parser.add_argument(
        "--output",
        default=str(RESULTS / "register_lists.json"),
        help="where the result goes (default bench/results/register_lists.json)",
    )
    args = parser.parse_args()
    env = environment(args.database_url)
    have = _members_in(args.database_url)
    if args.rebuild or have is None or have < args.members * 0.99:
        build(args, env)
    if args.build_only:
        return
    result = measure(args, env)
    Path(args.output).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
