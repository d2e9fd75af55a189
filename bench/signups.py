#!/usr/bin/env python
"""Sign-ups over HTTP, against gunicorn with production settings on PostgreSQL and Redis.

    make bench-signups
    .venv/bin/python bench/signups.py --rounds 3 --seconds 10
    .venv/bin/python bench/signups.py --profile 200      # in-process profile and query log

Each run drops and creates the scratch database, migrates, and (in a small Django script run
with the bench environment) makes the events index, the events, a pool of users, a logged-in
session and a CSRF secret for each. Then gunicorn starts and, in each round, on the same server:

1. **the yardstick**: a logged-in, CSRF-checked POST that does nothing (``events.views.
   bench_post``, routed only because this server runs with ``BENCH_ENDPOINTS=1``), for
   ``--seconds`` with ``--concurrency`` clients;
2. **sign-ups**: the event form's POST to ``/me/events/join/<id>/``, each by another person, for
   an event with seats for all (the common case: confirmed, a notice owed, a redirect to the
   event page), for the same time with the same clients. Reported: both rates, their ratio,
   and the CPU each request cost the gunicorn workers and the PostgreSQL backends (from their
   ``/proc/<pid>/stat`` before and after the phase);
3. **the rush**: ``--people`` logged-in people press "sign up" at the same moment for an event
   with ``--seats`` seats (one seat each): every client opens its connection and waits at a
   barrier, then all POST together. Afterwards the database must hold exactly ``seats``
   confirmed and ``people - seats`` waitlisted sign-ups and no request may have failed.

The seat lock's hold time is measured inside the gunicorn workers: the bench runs the portal's
WSGI application through ``timed_application()`` below, which wraps the functions of
``events.services`` that take the seat lock (``seats_take_at_once``, ``seats_lock``) to note the
time the locked row came back and, from an ``on_commit`` hook, the time the commit returned
(the lock is released by the commit). The production application is
untouched; only this bench's server loads the wrapper.

Writes bench/results/signups.json and exits non-zero when the rush's counts are wrong or any
request failed. Notices are enqueued on Redis as in production; no worker runs, and the queue
is emptied afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import importlib
import json
import math
import os
import platform
import secrets
import signal
import socket
import statistics
import string
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PYTHON, RESULTS, ROOT, environment, wait_until_up

QUEUE = "bench-signups"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def bench_environment(database_url: str) -> dict[str, str]:
    var = ROOT / "var" / "bench" / "signups"
    return {
        **environment(database_url),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"),
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/7"),
        # a queue of its own, so emptying it afterwards touches nothing else
        "CELERY_QUEUE": QUEUE,
        "VAR_DIR": str(var),
        "BENCH_ENDPOINTS": "1",  # routes the yardstick POST (events.urls)
        "BENCH_LOCK_LOG_DIR": str(var / "locks"),
    }


# -- inside the bench environment (run as a subprocess: `signups.py --prepare out.json`) ---------


def _django() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(*, users: int, seats: int, rounds: int, out: Path) -> None:
    """The events, the users, their sessions and CSRF secrets, written to ``out`` as JSON."""
    _django()
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.middleware import SESSION_REFRESHED_KEY, session_idle_limit
    from accounts.models import User
    from events.choices import EventKind
    from events.pages import EventIndexPage, EventPage
    from portal.models import HomePage

    home = HomePage.objects.get()
    index = home.add_child(instance=EventIndexPage(title="活动", slug="events"))
    index.save_revision().publish()
    starts_at = timezone.now() + timedelta(days=7)

    def event(slug: str, capacity: int) -> dict:
        page = EventPage(
            title="健康讲座：老年人高血压的日常管理",
            slug=slug,
            kind=EventKind.LECTURE,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            place="侨联活动中心",
            capacity=capacity,
            party_size_max=1,
        )
        index.add_child(instance=page)
        page.save_revision().publish()
        return {"id": page.pk, "path": urllib.parse.urlsplit(page.get_url()).path}

    events = {
        "warm_up": event("bench-warm-up", users),
        "throughput": [event(f"bench-throughput-{n}", users) for n in range(rounds)],
        "one_by_one": [event(f"bench-one-by-one-{n}", users) for n in range(rounds)],
        "rush": [event(f"bench-rush-{n}", seats) for n in range(rounds)],
        "profile": event("bench-profile", users),
    }

    password = make_password(None)  # nobody logs in with a password here
    created = User.objects.bulk_create(
        User(
            username=f"bench{number:05d}",
            name=f"压测用户{number:05d}",
            phone=f"+86137{number:08d}",
            phone_verified=True,
            password=password,
        )
        for number in range(users)
    )
    # Sessions as a returning visitor has them: the lifetime was pushed forward a moment ago
    # (accounts.middleware), so neither the yardstick nor a sign-up writes the session.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    alphabet = string.ascii_letters + string.digits
    now = int(time.time())
    sessions, clients = [], []
    for user in created:
        limit = session_idle_limit(user)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            "_session_expiry": limit,
            SESSION_REFRESHED_KEY: now,
        }
        key = secrets.token_hex(16)
        sessions.append(
            Session(
                session_key=key,
                session_data=store().encode(data),
                expire_date=timezone.now() + timedelta(seconds=limit),
            )
        )
        csrf = "".join(secrets.choice(alphabet) for _ in range(32))  # an unmasked CSRF secret
        clients.append({"session": key, "csrf": csrf})
    Session.objects.bulk_create(sessions)
    out.write_text(
        json.dumps(
            {
                "events": events,
                "session_cookie": settings.SESSION_COOKIE_NAME,
                "csrf_cookie": settings.CSRF_COOKIE_NAME,
                "csrf_header": settings.CSRF_HEADER_NAME.removeprefix("HTTP_")
                .replace("_", "-")
                .title(),
                "clients": clients,
            }
        )
    )


# -- inside the gunicorn workers -----------------------------------------------------------------


def time_the_seat_lock(log_dir: Path) -> None:
    """Wrap the two ways ``events.services`` takes the seat lock, ``seats_take_at_once`` (the one
    statement that locks the row and takes the seats; it returns None, having locked nothing,
    when the long way must decide) and ``seats_lock`` (the long way, and every other write),
    and Django's commit, in this process, to append one line per committed seat lock to
    ``log_dir/<pid>.log``: when the lock was asked for, when the locked row came back, when the
    COMMIT was sent, when it returned (the lock is released by the commit). ``time.perf_counter``
    is CLOCK_MONOTONIC: one clock for every process. Written from an ``on_commit`` hook, after
    the lock is gone. Call after ``django.setup()``."""
    from django.db import transaction
    from django.db.backends.base.base import BaseDatabaseWrapper

    services = importlib.import_module("events.services")
    seats_lock, seats_take_at_once = services.seats_lock, services.seats_take_at_once
    commit = BaseDatabaseWrapper._commit
    files: dict[int, int] = {}
    committing = [0.0]

    def timed_commit(self):
        committing[0] = time.perf_counter()
        return commit(self)

    def note(asked: float, got: float) -> None:
        done = time.perf_counter()
        pid = os.getpid()
        if pid not in files:
            files[pid] = os.open(log_dir / f"{pid}.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        line = f"{asked:.6f} {got:.6f} {committing[0]:.6f} {done:.6f}\n"
        os.write(files[pid], line.encode())

    def timed_seats_lock(event_id, **kwargs):
        asked = time.perf_counter()
        seats = seats_lock(event_id, **kwargs)
        got = time.perf_counter()
        transaction.on_commit(lambda: note(asked, got))
        return seats

    def timed_seats_take_at_once(event_id, **kwargs):
        asked = time.perf_counter()
        took = seats_take_at_once(event_id, **kwargs)
        got = time.perf_counter()
        if took is not None:  # else seats_lock is next, and is timed
            transaction.on_commit(lambda: note(asked, got))
        return took

    BaseDatabaseWrapper._commit = timed_commit
    services.seats_lock = timed_seats_lock
    services.seats_take_at_once = timed_seats_take_at_once


def timed_application():
    """gunicorn's application for this bench (``signups:timed_application()``): the portal's
    WSGI application, with the seat lock timed (``time_the_seat_lock``)."""
    sys.path.insert(0, str(ROOT))
    from portal import wsgi  # sets Django up: before any app's module

    time_the_seat_lock(Path(os.environ["BENCH_LOCK_LOG_DIR"]))
    return wsgi.application


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict[str, str], *, port: int, workers: int) -> subprocess.Popen:
    """This bench's gunicorn, up and answering. Other benches may be running on the machine:
    the server is ours once its own workers run (gunicorn binds before it forks them), not
    when something answers on the port."""
    command = [PYTHON, "-m", "gunicorn", "--pythonpath", str(ROOT / "bench"),
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--log-level", "warning", "signups:timed_application()"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while not worker_pids(server.pid):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"gunicorn did not start on 127.0.0.1:{port} (port taken?)")
        time.sleep(0.2)
    wait_until_up(f"http://127.0.0.1:{port}/healthz")
    return server


def lock_samples(log_dir: Path, start: float, end: float) -> list[list[float]]:
    samples = []
    for path in log_dir.glob("*.log"):
        for line in path.read_text().splitlines():
            sample = [float(value) for value in line.split()]
            if start <= sample[0] <= end:
                samples.append(sample)
    return samples


def lock_figures(samples: list[list[float]]) -> dict:
    """Milliseconds: ``held`` from the locked row coming back to the commit returning, split
    into ``work`` (until the COMMIT is sent) and ``commit`` (PostgreSQL writing the commit to
    its log, fdatasync included, and answering); ``wait`` to get the lock."""
    if not samples:
        return {"samples": 0}
    parts = {
        "held": [(done - got) * 1000 for _asked, got, _commit, done in samples],
        "work": [(commit - got) * 1000 for _asked, got, commit, _done in samples],
        "commit": [(done - commit) * 1000 for _asked, _got, commit, done in samples],
        "wait": [(got - asked) * 1000 for asked, got, _commit, _done in samples],
    }
    figures: dict = {"samples": len(samples)}
    for name, values in parts.items():
        figures[f"{name}_p50_ms"] = round(percentile(values, 50), 2)
        figures[f"{name}_p95_ms"] = round(percentile(values, 95), 2)
    figures["held_max_ms"] = round(max(parts["held"]), 2)
    return figures


# -- CPU of the server's processes ---------------------------------------------------------------


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == master:
                pids.append(int(entry.name))
    return pids


def backend_pids(database_url: str) -> list[int]:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
        rows = db.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])
        return [pid for (pid,) in rows.fetchall()]


class CpuMeter:
    """CPU seconds spent by the gunicorn workers and by the PostgreSQL backends serving them."""

    def __init__(self, master: int, database_url: str):
        self.master, self.database_url = master, database_url

    def read(self) -> dict[str, dict[int, int]]:
        return {
            "workers": {pid: _cpu_ticks(pid) for pid in worker_pids(self.master)},
            "postgres": {pid: _cpu_ticks(pid) for pid in backend_pids(self.database_url)},
        }

    @staticmethod
    def spent(before: dict, after: dict) -> dict[str, float]:
        """Seconds per kind between two readings (a process new since ``before`` counts whole)."""
        return {
            kind: sum(ticks - before[kind].get(pid, 0) for pid, ticks in after[kind].items())
            / CLOCK_TICKS
            for kind in after
        }


# -- the clients ---------------------------------------------------------------------------------


def _headers(setup: dict, client: dict) -> dict[str, str]:
    cookie = (
        f"{setup['session_cookie']}={client['session']}; {setup['csrf_cookie']}={client['csrf']}"
    )
    return {
        "Cookie": cookie,
        "Connection": "close",  # gunicorn's sync workers close after each response anyway
        "Content-Type": "application/x-www-form-urlencoded",
        setup["csrf_header"]: client["csrf"],
    }


def _post(port: int, path: str, setup: dict, client: dict, result: dict) -> None:
    body = urllib.parse.urlencode({"party_size": "1"})
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
        result["sent"] = time.perf_counter()
        connection.request("POST", path, body=body, headers=_headers(setup, client))
        response = connection.getresponse()
        response.read()
        result["done"] = time.perf_counter()
        result["status"] = response.status
        result["location"] = urllib.parse.urlsplit(response.getheader("Location", "")).path
        connection.close()
    except Exception as exc:
        result["done"] = time.perf_counter()
        result["error"] = f"{type(exc).__name__}: {exc}"


def load(port: int, setup: dict, *, path_for, seconds: float, concurrency: int) -> list[dict]:
    """``concurrency`` clients POST back to back for ``seconds``, client number n as the n-th
    user of the pool (``path_for(n)`` says where): each user at most once. Returns one result
    per request."""
    clients = setup["clients"]
    results: list[dict] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    numbers = iter(range(len(clients)))

    def run() -> None:
        while time.perf_counter() < deadline:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            result = {"number": number}
            _post(port, path_for(number), setup, clients[number], result)
            with lock:
                results.append(result)

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(results) >= len(clients):
        print(f"warning: the pool of {len(clients)} users ran out; use more --users", flush=True)
    return results


def rush(port: int, setup: dict, *, path: str, people: int) -> tuple[list[dict], float]:
    """POST the sign-up of ``people`` clients at once; (one result per request, release time)."""
    clients = setup["clients"][:people]
    released: list[float] = []
    barrier = threading.Barrier(
        len(clients), action=lambda: released.append(time.perf_counter()), timeout=60
    )
    results: list[dict] = [{} for _ in clients]

    def one(number: int, client: dict) -> None:
        result = results[number]
        body = urllib.parse.urlencode({"party_size": "1"})
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
            connection.connect()
            barrier.wait()
            result["sent"] = time.perf_counter()
            connection.request("POST", path, body=body, headers=_headers(setup, client))
            response = connection.getresponse()
            response.read()
            result["done"] = time.perf_counter()
            result["status"] = response.status
            result["location"] = urllib.parse.urlsplit(response.getheader("Location", "")).path
            connection.close()
        except Exception as exc:
            result["done"] = time.perf_counter()
            result["error"] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=one, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, released[0] if released else time.perf_counter()


# -- figures -------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def failures_of(results: list[dict], ok) -> dict[str, int]:
    failures: dict[str, int] = {}
    for r in results:
        if not ok(r):
            key = r.get("error") or f"HTTP {r.get('status')} → {r.get('location') or '-'}"
            failures[key] = failures.get(key, 0) + 1
    return failures


def phase_figures(results: list[dict], ok, cpu: dict[str, float]) -> dict:
    start = min(r["sent"] for r in results)
    wall = max(r["done"] for r in results) - start
    latencies = [(r["done"] - r["sent"]) * 1000 for r in results if "sent" in r]
    n = len(results)
    failures = failures_of(results, ok)
    return {
        "requests": n,
        "errors": sum(failures.values()),
        "failures": failures,
        "seconds": round(wall, 2),
        "requests_per_second": round(n / wall, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "cpu_ms_per_request": {
            "gunicorn_workers": round(cpu["workers"] * 1000 / n, 2),
            "postgres_backends": round(cpu["postgres"] * 1000 / n, 2),
        },
    }


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


def signup_path(event: dict) -> str:
    return f"/me/events/join/{event['id']}/"


def one_round(number: int, *, port: int, setup: dict, args, meter: CpuMeter, log_dir) -> dict:
    """The yardstick, the sign-ups and the rush, one after the other on the same server."""
    events = setup["events"]
    throughput_event = events["throughput"][number]
    phases = {}
    for name, path, ok in (
        ("yardstick", "/me/events/bench/post/", lambda r: r.get("status") == 204),
        (
            "signups",
            signup_path(throughput_event),
            lambda r: r.get("status") == 302 and r.get("location") == throughput_event["path"],
        ),
    ):
        before = meter.read()
        started = time.perf_counter()
        results = load(
            port, setup, path_for=lambda _n, p=path: p, seconds=args.seconds,
            concurrency=args.concurrency,
        )  # fmt: skip
        ended = time.perf_counter()
        phases[name] = phase_figures(results, ok, meter.spent(before, meter.read()))
        if name == "signups":
            phases[name]["seat_lock"] = lock_figures(lock_samples(log_dir, started, ended))
    yardstick, signups = phases["yardstick"], phases["signups"]
    cpu = "cpu_ms_per_request"

    # The seat lock's hold time without anyone queueing for it or for the CPU: one client.
    one_by_one = events["one_by_one"][number]
    started = time.perf_counter()
    results = load(
        port, setup, path_for=lambda _n: signup_path(one_by_one), seconds=args.seconds / 2,
        concurrency=1,
    )  # fmt: skip
    ended = time.perf_counter()
    latencies = [(r["done"] - r["sent"]) * 1000 for r in results]
    alone = {
        "requests": len(results),
        "errors": sum(
            failures_of(
                results,
                lambda r: r.get("status") == 302 and r.get("location") == one_by_one["path"],
            ).values()
        ),
        "p50_ms": round(percentile(latencies, 50), 1),
        "seat_lock": lock_figures(lock_samples(log_dir, started, ended)),
    }

    rush_event = events["rush"][number]
    started = time.perf_counter()
    results, released = rush(port, setup, path=signup_path(rush_event), people=args.people)
    ended = time.perf_counter()
    ok = [r for r in results if r.get("status") == 302 and r.get("location") == rush_event["path"]]
    latencies = [(r["done"] - r["sent"]) * 1000 for r in results if "sent" in r]
    counts = count_signups(args.database_url, rush_event["id"])
    errors = len(results) - len(ok)
    met = (
        counts["confirmed"] == args.seats
        and counts["confirmed_seats"] == args.seats
        and counts["waitlisted"] == args.people - args.seats
        and counts["other"] == 0
        and counts["users"] == args.people
        and errors == 0
    )
    wall = max(r["done"] for r in results) - released
    return {
        "yardstick": yardstick,
        "signups": signups,
        "throughput_ratio": round(
            signups["requests_per_second"] / yardstick["requests_per_second"], 3
        ),
        "cpu_ratio_workers": round(
            signups[cpu]["gunicorn_workers"] / yardstick[cpu]["gunicorn_workers"], 2
        ),
        "cpu_ratio_workers_and_postgres": round(
            sum(signups[cpu].values()) / sum(yardstick[cpu].values()), 2
        ),
        "one_client": alone,
        "rush": {
            "people": args.people,
            "seats": args.seats,
            "confirmed": counts["confirmed"],
            "confirmed_seats": counts["confirmed_seats"],
            "waitlisted": counts["waitlisted"],
            "errors": errors,
            "failures": failures_of(results, lambda r: r in ok),
            "met": met,
            "wall_seconds": round(wall, 3),
            "signups_per_second": round(len(results) / wall, 1),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "max_ms": round(max(latencies), 1),
            "seat_lock": lock_figures(lock_samples(log_dir, started, ended)),
        },
    }


def medians(rounds: list[dict]) -> dict:
    def median(get) -> float:
        return round(statistics.median(get(r) for r in rounds), 2)

    cpu = "cpu_ms_per_request"
    return {
        "yardstick_requests_per_second": median(lambda r: r["yardstick"]["requests_per_second"]),
        "signups_per_second": median(lambda r: r["signups"]["requests_per_second"]),
        "throughput_ratio": median(lambda r: r["throughput_ratio"]),
        "cpu_ms_yardstick_workers": median(lambda r: r["yardstick"][cpu]["gunicorn_workers"]),
        "cpu_ms_signup_workers": median(lambda r: r["signups"][cpu]["gunicorn_workers"]),
        "cpu_ms_yardstick_postgres": median(lambda r: r["yardstick"][cpu]["postgres_backends"]),
        "cpu_ms_signup_postgres": median(lambda r: r["signups"][cpu]["postgres_backends"]),
        "cpu_ratio_workers": median(lambda r: r["cpu_ratio_workers"]),
        "cpu_ratio_workers_and_postgres": median(lambda r: r["cpu_ratio_workers_and_postgres"]),
        "rush_p50_ms": median(lambda r: r["rush"]["p50_ms"]),
        "rush_p95_ms": median(lambda r: r["rush"]["p95_ms"]),
        "seat_lock_ms": {
            where: {
                figure: median(lambda r, p=phase, f=figure: r[p]["seat_lock"][f])
                for figure in LOCK_FIGURES
            }
            for where, phase in LOCK_PHASES
        },
    }


LOCK_PHASES = (("one_client", "one_client"), ("under_load", "signups"), ("rush", "rush"))
LOCK_FIGURES = (
    "held_p50_ms", "held_p95_ms", "work_p50_ms", "work_p95_ms", "commit_p50_ms", "commit_p95_ms",
)  # fmt: skip


# -- in-process profile (`signups.py --profile N`) -----------------------------------------------


def profile(*, setup_path: Path, requests: int) -> None:
    """One sign-up's queries, then ``requests`` sign-ups and as many yardstick POSTs through
    Django's test client (the whole middleware stack, CSRF checks on) under cProfile, in this
    process, with the bench's production settings."""
    _django()
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    log_dir = Path(os.environ["VAR_DIR"]) / "locks-profile"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    time_the_seat_lock(log_dir)
    setup = json.loads(setup_path.read_text())
    event = setup["events"]["profile"]
    clients = setup["clients"]

    # One client (its handler loads the middleware once, as a worker does); cookies per person.
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")

    def post(number: int, path: str):
        client.cookies.clear()
        client.cookies[setup["session_cookie"]] = clients[number]["session"]
        client.cookies[setup["csrf_cookie"]] = clients[number]["csrf"]
        header = "HTTP_" + setup["csrf_header"].upper().replace("-", "_")
        return client.post(path, {"party_size": "1"}, **{header: clients[number]["csrf"]})

    post(0, signup_path(event))  # warm: imports, templates, the seat row
    post(0, "/me/events/bench/post/")
    with CaptureQueriesContext(connection) as queries:
        response = post(1, signup_path(event))
    print(f"one sign-up: HTTP {response.status_code}, {len(queries)} queries")
    for number, query in enumerate(queries.captured_queries, 1):
        print(f"{number:3d} {query['time']}s  {query['sql'][:160]}")
    with CaptureQueriesContext(connection) as queries:
        post(2, "/me/events/bench/post/")
    print(f"one yardstick POST: {len(queries)} queries")

    plain = {}
    numbers = iter(range(10, 10 + 2 * requests))
    for name, path in (("yardstick", "/me/events/bench/post/"), ("sign-up", signup_path(event))):
        cpu, started = time.process_time(), time.perf_counter()
        for _ in range(requests // 2):
            post(next(numbers), path)
        plain[name] = (time.process_time() - cpu) * 1000 / (requests // 2)
    print(
        "\nCPU per request, not profiled: yardstick {:.2f} ms, sign-up {:.2f} ms ({:.2f} ×)".format(
            plain["yardstick"], plain["sign-up"], plain["sign-up"] / plain["yardstick"]
        )
    )
    lock = lock_figures(lock_samples(log_dir, started, time.perf_counter()))
    print(f"the seat lock, one sign-up after the other: {json.dumps(lock)}")
    for name, path in (("yardstick", "/me/events/bench/post/"), ("sign-up", signup_path(event))):
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on the database
        profiler.enable()
        for _ in range(requests // 2):
            post(next(numbers), path)
        profiler.disable()
        dump = Path(os.environ["VAR_DIR"]) / f"profile-{name}.pstats"
        profiler.dump_stats(dump)
        print(f"\n== {name} (profiled: CPU, with the profiler's own overhead; {dump})")
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(40)
        stats.print_stats(r"/(events|core|accounts|kombu|celery)/", 40)


# -- the run -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10, help="per throughput phase")
    parser.add_argument("--concurrency", type=int, default=10, help="clients in those phases")
    parser.add_argument("--users", type=int, default=3000, help="the pool of logged-in people")
    parser.add_argument("--people", type=int, default=200, help="in the rush")
    parser.add_argument("--seats", type=int, default=50, help="in the rush")
    # 2 × cores + 1: gunicorn's advice for sync workers, and the home benchmark's setting. A
    # request waits on PostgreSQL and Redis for part of its time; the fifth worker keeps both
    # cores busy meanwhile without queueing more requests behind one event's seat lock.
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--profile", type=int, metavar="N", help="profile N requests in-process")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_SIGNUPS_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/qiaoxin_bench_signups",
        ),
    )
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-setup", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(users=args.users, seats=args.seats, rounds=args.rounds, out=args.prepare)
        return
    if args.profile_setup:
        profile(setup_path=args.profile_setup, requests=args.profile)
        return
    if args.people <= args.seats:
        parser.error("--people must be more than --seats (the rush must overflow)")
    if args.users < args.people:
        parser.error("--users must be at least --people")

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
        [PYTHON, __file__, "--prepare", str(setup_path), "--users", str(args.users),
         "--seats", str(args.seats), "--rounds", str(args.rounds)],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    try:
        if args.profile:
            subprocess.run(
                [PYTHON, __file__, "--profile-setup", str(setup_path),
                 "--profile", str(args.profile)],
                cwd=ROOT, env=env, check=True,
            )  # fmt: skip
            empty_queue(env)
            return
        setup = json.loads(setup_path.read_text())
    finally:
        setup_path.unlink()  # session keys: no use outside this run
    empty_queue(env)
    log_dir = Path(env["BENCH_LOCK_LOG_DIR"])
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()

    args.port = args.port or free_port()
    server = start_gunicorn(env, port=args.port, workers=args.workers)
    rounds = []
    try:
        meter = CpuMeter(server.pid, args.database_url)
        # Warm up every worker: imports, templates, connections, the seat row.
        warm = {"seconds": 3, "concurrency": args.concurrency}
        load(port=args.port, setup=setup, path_for=lambda _n: "/me/events/bench/post/", **warm)
        path = signup_path(setup["events"]["warm_up"])
        load(port=args.port, setup=setup, path_for=lambda _n: path, **warm)
        for number in range(args.rounds):
            print(f"round {number + 1} of {args.rounds}", flush=True)
            rounds.append(
                one_round(
                    number, port=args.port, setup=setup, args=args, meter=meter, log_dir=log_dir
                )
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    notices_queued = empty_queue(env)

    met = all(r["rush"]["met"] for r in rounds) and not any(
        r[phase]["errors"] for r in rounds for phase in ("yardstick", "signups", "one_client")
    )
    result = {
        "name": "signups",
        "what": "sign-up POSTs (/me/events/join/<id>/, each by another logged-in person) against "
        "a logged-in CSRF-checked POST that does nothing, on the same gunicorn server in the same "
        f"run; then {args.people} people sign up at the same moment for {args.seats} seats",
        "median_of_rounds": medians(rounds),
        "rounds": rounds,
        "met": met,
        "target": f"the rush: exactly {args.seats} confirmed, {args.people - args.seats} "
        "waitlisted, no failed request; goal (issue 9): a sign-up costs at most 3 × the "
        "yardstick POST (throughput ratio ≥ 0.33), the seat lock held ≤ 2 ms",
        "notices_queued": notices_queued,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "note": "the clients, gunicorn, PostgreSQL and Redis share these cores, and other "
            "work ran on the machine meanwhile: compare the ratios of one run, not absolute "
            "figures across runs",
        },
        "server": {
            "gunicorn_workers": args.workers,
            "worker_class": "sync",
            "database": "PostgreSQL (persistent connections, CONN_MAX_AGE=600)",
            "cache_and_broker": "Redis",
            "settings": "production (SECURE_COOKIES=false on loopback)",
            "application": "portal.wsgi with the seat lock timed (events.services.seats_lock "
            "and seats_take_at_once; bench/signups.py timed_application)",
            "notices": "enqueued on Redis after commit, no worker running",
        },
        "how": {
            "throughput": f"{args.concurrency} client threads (http.client, one connection per "
            f"request) POST back to back for {args.seconds:g} s per phase: the yardstick "
            "(events.views.bench_post, routed by BENCH_ENDPOINTS=1), then sign-ups for an event "
            "with seats for all; every phase of a round on the same server",
            "cpu": "utime+stime from /proc/<pid>/stat of the gunicorn workers and of the "
            "PostgreSQL backends of the bench database, before and after each phase, divided "
            "by the requests served (Redis and the clients not counted)",
            "seat_lock": "inside the workers: held = from the locked EventSeats row coming back "
            "to the commit returning (on_commit); wait = from asking to getting it. 'one_client': "
            "sign-ups one after the other for half a phase (nobody queues for the lock or the "
            "CPU: the work done under the lock); 'under load': during the sign-up phase, where "
            "a holder that loses its core to another process keeps everyone waiting",
            "rush": "one thread and connection per person, released together by a barrier; "
            "latency from sending the request to the end of the response",
            "sessions": "logged in beforehand, their lifetime pushed forward a moment ago (as "
            "for a returning visitor), so no phase writes the session",
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "signups.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(result["median_of_rounds"], ensure_ascii=False, indent=2))
    print(f"written {path}")
    if not met:
        raise SystemExit("signups: the rush's counts are wrong or requests failed (see rounds)")


if __name__ == "__main__":
    main()
