#!/usr/bin/env python
"""Sign-ups over HTTP under a rush: 200 logged-in people press "sign up" at the same moment for
an event with 50 seats (one seat each), against gunicorn with production settings on PostgreSQL.

    make bench-signups
    .venv/bin/python bench/signups.py --people 400 --seats 100

Each run drops and creates the scratch database, migrates, and (in a small Django script run
with the bench environment) makes the events index, one event, the users, a logged-in session
and a CSRF secret for each. Then gunicorn starts (5 workers), every client thread opens its
connection and waits at a barrier, and all POST ``<event>/signup/`` together. A sign-up that
went through answers 302 to the event page; anything else (a refusal, a redirect to the login
page, a server error, a dropped connection) is an error.

Correctness is the point: afterwards the database must hold exactly ``seats`` confirmed and
``people - seats`` waitlisted sign-ups. Throughput (sign-ups per second from the release to the
last response) and latency percentiles are reported. Writes bench/results/signups.json and exits
non-zero when the counts are wrong or any request failed. Notices are enqueued on Redis as in
production; no worker runs, and the queue is emptied afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import secrets
import signal
import string
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PYTHON, RESULTS, ROOT, environment, start_gunicorn, wait_until_up

QUEUE = "bench-signups"


def bench_environment(database_url: str) -> dict[str, str]:
    return {
        **environment(database_url),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"),
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/5"),
        # a queue of its own, so emptying it afterwards touches nothing else
        "CELERY_QUEUE": QUEUE,
        "VAR_DIR": str(ROOT / "var" / "bench" / "signups"),
    }


# -- inside the bench environment (run as a subprocess: `signups.py --prepare out.json`) ---------


def prepare(*, people: int, seats: int, out: Path) -> None:
    """The event, the users, their sessions and CSRF secrets, written to ``out`` as JSON."""
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import User
    from events.models import EventIndexPage, EventKind, EventPage
    from portal.models import HomePage

    home = HomePage.objects.get()
    index = home.add_child(instance=EventIndexPage(title="活动", slug="events"))
    index.save_revision().publish()
    starts_at = timezone.now() + timedelta(days=7)
    event = EventPage(
        title="健康讲座：老年人高血压的日常管理",
        slug="bench-lecture",
        kind=EventKind.LECTURE,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        place="侨联活动中心",
        capacity=seats,
        party_size_max=1,
    )
    index.add_child(instance=event)
    event.save_revision().publish()

    password = make_password(None)  # nobody logs in with a password here
    now = timezone.now()
    users = User.objects.bulk_create(
        User(
            username=f"bench{number:04d}",
            name=f"压测用户{number:04d}",
            phone=f"+86137{number:08d}",
            phone_verified=True,
            welcomed_at=now,
            password=password,
        )
        for number in range(people)
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    alphabet = string.ascii_letters + string.digits
    clients = []
    for user in users:
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        csrf = "".join(secrets.choice(alphabet) for _ in range(32))  # an unmasked CSRF secret
        clients.append({"session": session.session_key, "csrf": csrf})
    out.write_text(
        json.dumps(
            {
                "event_id": event.pk,
                "event_path": urllib.parse.urlsplit(event.get_url()).path,
                "session_cookie": settings.SESSION_COOKIE_NAME,
                "csrf_cookie": settings.CSRF_COOKIE_NAME,
                "csrf_header": settings.CSRF_HEADER_NAME.removeprefix("HTTP_")
                .replace("_", "-")
                .title(),
                "clients": clients,
            }
        )
    )


# -- the rush ------------------------------------------------------------------------------------


def _headers(setup: dict, client: dict, *, post: bool = False) -> dict[str, str]:
    cookie = (
        f"{setup['session_cookie']}={client['session']}; {setup['csrf_cookie']}={client['csrf']}"
    )
    headers = {"Cookie": cookie, "Connection": "close"}
    if post:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers[setup["csrf_header"]] = client["csrf"]
    return headers


def rush(port: int, setup: dict) -> tuple[list[dict], float]:
    """POST every client's sign-up at once; (one result per request, the release time)."""
    path = setup["event_path"] + "signup/"
    released: list[float] = []
    barrier = threading.Barrier(
        len(setup["clients"]), action=lambda: released.append(time.perf_counter()), timeout=60
    )
    results: list[dict] = [{} for _ in setup["clients"]]

    def one(number: int, client: dict) -> None:
        body = urllib.parse.urlencode({"party_size": "1", "csrfmiddlewaretoken": client["csrf"]})
        headers = _headers(setup, client, post=True)
        result = results[number]
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
            connection.connect()
            barrier.wait()
            result["sent"] = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            result["done"] = time.perf_counter()
            result["status"] = response.status
            result["location"] = response.getheader("Location", "")
            connection.close()
        except Exception as exc:
            result["done"] = time.perf_counter()
            result["error"] = f"{type(exc).__name__}: {exc}"

    threads = [
        threading.Thread(target=one, args=(number, client))
        for number, client in enumerate(setup["clients"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, released[0] if released else time.perf_counter()


def warm_up(port: int, setup: dict, *, workers: int) -> None:
    """Every worker serves the event's routes once (GET signup/ only redirects) before the rush."""
    path = setup["event_path"] + "signup/"

    def get(client: dict) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", path, headers=_headers(setup, client))
        connection.getresponse().read()
        connection.close()

    for _ in range(3):
        threads = [
            threading.Thread(target=get, args=(client,))
            for client in setup["clients"][: workers * 2]
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def count_signups(database_url: str, event_id: int) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url) as db:
        rows = db.execute(
            "SELECT status, count(*), coalesce(sum(party_size), 0), count(DISTINCT user_id) "
            "FROM events_signup WHERE event_id = %s GROUP BY status",
            [event_id],
        ).fetchall()
    counts = {"confirmed": 0, "waitlisted": 0, "other": 0, "confirmed_seats": 0, "users": 0}
    for status, number, seats, users in rows:
        counts[status if status in ("confirmed", "waitlisted") else "other"] += number
        counts["users"] += users
        if status == "confirmed":
            counts["confirmed_seats"] = seats
    return counts


def empty_queue(env: dict[str, str]) -> int:
    """Drop the notices the run enqueued; returns how many there were."""
    import redis

    broker = redis.Redis.from_url(env["CELERY_BROKER_URL"])
    queued = broker.llen(QUEUE)
    broker.delete(QUEUE, f"_kombu.binding.{QUEUE}")
    return queued


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--seats", type=int, default=50)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_SIGNUPS_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/qiaoxin_bench_signups",
        ),
    )
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(people=args.people, seats=args.seats, out=args.prepare)
        return
    if args.people <= args.seats:
        parser.error("--people must be more than --seats (the rush must overflow)")

    import psycopg

    name = args.database_url.rsplit("/", 1)[1]
    with psycopg.connect(args.database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    env = bench_environment(args.database_url)
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    setup_path = Path(env["VAR_DIR"]) / "setup.json"
    subprocess.run(
        [PYTHON, __file__, "--prepare", str(setup_path), "--people", str(args.people),
         "--seats", str(args.seats)],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    setup = json.loads(setup_path.read_text())
    setup_path.unlink()  # session keys: no use outside this run
    empty_queue(env)

    base = f"http://127.0.0.1:{args.port}"
    server = start_gunicorn(env, port=args.port, workers=args.workers)
    try:
        wait_until_up(base + "/healthz")
        warm_up(args.port, setup, workers=args.workers)
        print(f"{args.people} people, {args.seats} seats: go", flush=True)
        results, released = rush(args.port, setup)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    notices_queued = empty_queue(env)

    wall = max(r["done"] for r in results) - released
    ok = [
        r
        for r in results
        if r.get("status") == 302
        and urllib.parse.urlsplit(r["location"]).path == setup["event_path"]
    ]
    failures: dict[str, int] = {}
    for r in results:
        if r in ok:
            continue
        key = r.get("error") or f"HTTP {r.get('status')} → {r.get('location') or '-'}"
        failures[key] = failures.get(key, 0) + 1
    latencies = [(r["done"] - r["sent"]) * 1000 for r in results if "sent" in r and "done" in r]
    counts = count_signups(args.database_url, setup["event_id"])
    errors = len(results) - len(ok)
    met = (
        counts["confirmed"] == args.seats
        and counts["confirmed_seats"] == args.seats
        and counts["waitlisted"] == args.people - args.seats
        and counts["other"] == 0
        and counts["users"] == args.people
        and errors == 0
    )
    result = {
        "name": "signups",
        "what": f"{args.people} logged-in people POST the sign-up form of one event with "
        f"{args.seats} seats (one seat each) at the same moment; gunicorn + PostgreSQL",
        "requests": len(results),
        "confirmed": counts["confirmed"],
        "confirmed_seats": counts["confirmed_seats"],
        "waitlisted": counts["waitlisted"],
        "errors": errors,
        "failures": failures,
        "notices_queued": notices_queued,
        "wall_seconds": round(wall, 3),
        "signups_per_second": round(len(results) / wall, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "met": met,
        "target": f"exactly {args.seats} confirmed, {args.people - args.seats} waitlisted, "
        "no failed request",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "note": "the 200 clients, gunicorn, PostgreSQL and Redis share these cores; all "
            "requests arrive at once, so latency is mostly queueing behind 5 workers and one "
            "event's row lock",
        },
        "server": {
            "gunicorn_workers": args.workers,
            "database": "PostgreSQL",
            "settings": "production (SECURE_COOKIES=false on loopback)",
            "notices": "enqueued on Redis after commit, no worker running",
        },
        "load": {
            "tool": "threads + http.client, one connection each, released by a barrier",
            "latency": "from sending the request to the end of the response",
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "signups.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"written {path}")
    if not met:
        raise SystemExit("signups: the counts are wrong or requests failed (see failures)")


if __name__ == "__main__":
    main()
