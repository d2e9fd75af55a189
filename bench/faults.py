#!/usr/bin/env python
"""Faults under load: Redis stopped for 18 s, then hanging for 18 s, then PostgreSQL cut for
6 s, while people browse, log in and sign up. What the site answers in each phase, whether every
sign-up it confirmed was saved, and whether every notice owed was delivered afterwards, once on
each channel.

    make bench-faults
    .venv/bin/python bench/faults.py --redis-down 18 --redis-frozen 18 --db-down 6

The set-up is production's, on one machine: gunicorn with production settings (3 workers, its
default 30 s timeout) and a Celery worker with beat (prefork, 2 processes), both on a
redis-server of this run's own (cache and broker; no persistence, so a stop loses the queue as
a crash would) and on PostgreSQL through a TCP proxy of this run's own
(``tests.support.tcp_proxy``) that can be cut: every connection dropped, new ones refused.
PostgreSQL itself is never touched.

Each run drops and creates the scratch database, migrates, and makes the events index, one
event, users with sessions (phone, verified, and an email address: a sign-up owes a site
message, an email and an SMS) and users with a password for the logins. The load, from threads
on the same machine, one connection per request: two readers going round the home page,
/events/ and the event page; a login every 2.5 s and a sign-up every 0.5 s, each by another
person, arriving whether or not the earlier ones were answered. Phases: baseline; Redis stopped
(the process ends: connections refused, the queue lost); Redis back; Redis hanging (SIGSTOP:
connections accepted, no answer); Redis thawed; PostgreSQL cut; PostgreSQL back. Afterwards it
waits for the outbox to empty (the sweeper runs every 2 minutes; ``NOTICE_SWEEP_AFTER_SECONDS``
is 30 here instead of production's 180, so a lost job is found within one or two sweeps) and
counts what each person received.

Writes bench/results/faults.json; exits non-zero when a verdict fails: a 500, a request that
should have been answered and was not, a sign-up answered as saved and missing, a notice not
delivered exactly once on every channel.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import http.client
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PYTHON, RESULTS, ROOT, environment, wait_until_up
from signups import _headers, percentile

sys.path.insert(0, str(ROOT))
from tests.support.tcp_proxy import TcpProxy, free_port

QUEUE = "bench-faults"
LOGIN_PASSWORD = "Bench-faults-Pw-2026"
SIGNUP_PERSONS = 400  # more than the run can use
LOGIN_PERSONS = 60
#: A page that takes longer than this is not "working" for the person waiting for it.
PAGE_P95_LIMIT_MS = 5000


# -- inside the bench environment (run as a subprocess: `faults.py --prepare out.json`) ----------


def prepare(*, out: Path) -> None:
    """The event, the users with their sessions and CSRF secrets (as ``bench/signups.py``
    makes them, each with an email address too), and users who log in with a password."""
    os.chdir(ROOT)
    import django

    django.setup()
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.models import User
    from events.pages import EventIndexPage, EventKind, EventPage
    from portal.models import HomePage

    index = HomePage.objects.get().add_child(instance=EventIndexPage(title="活动", slug="events"))
    index.save_revision().publish()
    starts_at = timezone.now() + timedelta(days=7)
    event = EventPage(
        title="健康讲座：老年人高血压的日常管理", slug="bench-lecture", kind=EventKind.LECTURE,
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), place="侨联活动中心",
        capacity=SIGNUP_PERSONS, party_size_max=1,
    )  # fmt: skip
    index.add_child(instance=event)
    event.save_revision().publish()

    unusable = make_password(None)  # the sign-up users never log in with a password
    users = User.objects.bulk_create(
        User(username=f"bench{number:04d}", name=f"压测用户{number:04d}",
             phone=f"+86137{number:08d}", phone_verified=True,
             email=f"bench{number:04d}@bench.example", password=unusable)
        for number in range(SIGNUP_PERSONS)
    )  # fmt: skip
    store = import_module(settings.SESSION_ENGINE).SessionStore
    clients = []
    for user in users:
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        clients.append({"session": session.session_key, "csrf": get_random_string(32)})
    password = make_password(LOGIN_PASSWORD)
    logins = User.objects.bulk_create(
        User(username=f"login{number:04d}", name=f"登录用户{number:04d}",
             phone=f"+86136{number:08d}", phone_verified=True, password=password)
        for number in range(LOGIN_PERSONS)
    )  # fmt: skip
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
                "users": {user.username: {"id": user.pk, "phone": user.phone} for user in users},
                "logins": [user.phone.removeprefix("+86") for user in logins],
            }
        )
    )


# -- the services this run owns ------------------------------------------------------------------


class RedisServer:
    """A redis-server child on its own port, without persistence: stopping it loses what it
    held, as a crash of a Redis without persistence would."""

    def __init__(self, port: int, folder: Path):
        self.port, self.folder = port, folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--daemonize", "no",
                   "--dir", str(self.folder)]  # fmt: skip
        log = (self.folder / "redis.log").open("a")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit(f"redis-server on port {self.port} did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            self.process.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: the server hangs. Connecting still works (the kernel completes the
        handshake), answers never come; only the clients' timeouts end their wait."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


# -- the load ------------------------------------------------------------------------------------


class Load:
    """Until ``stop``: two readers, each going round the home page, /events/ and the event page
    (the next request when the last one answered); and arrivals that do not wait for anyone, as
    people do not: a sign-up every 0.5 s, each by another person, and a login every 2.5 s, each
    its own request in its own thread. Every request is recorded with the time it started."""

    SIGNUP_EVERY = 0.5
    LOGINS_EVERY = 5  # arrivals: every fifth tick

    def __init__(self, port: int, setup: dict):
        self.port, self.setup = port, setup
        self.records: list[dict] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.t0 = time.monotonic()
        self.signup_clients = iter(list(zip(setup["users"], setup["clients"], strict=True)))
        self.login_numbers = iter(setup["logins"])
        self.threads: list[threading.Thread] = []

    def request(self, kind: str, method: str, path: str, *, body=None, headers=None, **extra):
        record = {"kind": kind, "t": time.monotonic() - self.t0, **extra}
        started = time.perf_counter()
        try:
            # longer than gunicorn's 30 s: what the server does with a slow request is measured
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=90)
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            response.read()
            record["status"] = response.status
            record["location"] = response.getheader("Location", "")
            connection.close()
        except Exception as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"[:120]
        record["ms"] = (time.perf_counter() - started) * 1000
        with self.lock:
            self.records.append(record)
        return record

    def browse(self) -> None:
        paths = ["/", "/events/", self.setup["event_path"]]
        number = 0
        while not self.stop.is_set():
            path = paths[number % len(paths)]
            self.request({"/": "home", "/events/": "events"}.get(path, "event"), "GET", path,
                         headers={"Connection": "close"})  # fmt: skip
            number += 1
            self.stop.wait(0.05)

    def login(self, number: str) -> None:
        csrf = "l" * 32
        form = {"login": number, "password": LOGIN_PASSWORD, "csrfmiddlewaretoken": csrf}
        headers = {
            "Cookie": f"{self.setup['csrf_cookie']}={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Connection": "close",
        }
        self.request("login", "POST", "/accounts/login/", body=urllib.parse.urlencode(form),
                     headers=headers)  # fmt: skip

    def sign_up(self, username: str, client: dict) -> None:
        form = {"party_size": "1", "csrfmiddlewaretoken": client["csrf"]}
        self.request("signup", "POST", self.setup["event_path"] + "signup/",
                     body=urllib.parse.urlencode(form),
                     headers=_headers(self.setup, client, post=True), user=username)  # fmt: skip

    def arrivals(self) -> None:
        tick = 0
        while not self.stop.wait(self.SIGNUP_EVERY):
            tick += 1
            pair = next(self.signup_clients, None)
            if pair is not None:
                self.spawn(self.sign_up, *pair)
            if tick % self.LOGINS_EVERY == 0:
                number = next(self.login_numbers, None)
                if number is not None:
                    self.spawn(self.login, number)

    def spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args)
        with self.lock:
            self.threads.append(thread)
        thread.start()

    def start(self) -> None:
        for target in (self.browse, self.browse, self.arrivals):
            self.spawn(target)

    def finish(self) -> None:
        self.stop.set()
        while True:
            with self.lock:
                running = [thread for thread in self.threads if thread.is_alive()]
            if not running:
                return
            for thread in running:
                thread.join()


def answered_ok(record: dict, setup: dict) -> bool:
    """What the person is shown as success: the page loads; a login or sign-up redirects to
    where it should (my page; the event page)."""
    status, location = record.get("status"), urllib.parse.urlsplit(record.get("location", "")).path
    if record["kind"] == "signup":
        return status == 302 and location == setup["event_path"]
    if record["kind"] == "login":
        return status == 302 and location == "/me/"
    return status == 200


# -- counting what happened ----------------------------------------------------------------------


NOTICE_COLUMNS = [
    "object_id",
    "kind",
    "state",
    "done",
    "failed",
    "attempts",
    "site",
    "sms",
    "email",
    "last_error",
]


def database_state(database_url: str, event_id: int) -> dict:
    import psycopg

    with psycopg.connect(database_url) as db:
        signups = db.execute(
            "SELECT s.id, u.username, u.id, s.status FROM events_signup s "
            "JOIN accounts_user u ON u.id = s.user_id WHERE s.event_id = %s",
            [event_id],
        ).fetchall()
        notices = db.execute(
            "SELECT object_id, kind, state, done_at IS NOT NULL, failed_at IS NOT NULL, attempts, "
            "site_sent_at IS NOT NULL, sms_sent_at IS NOT NULL, email_sent_at IS NOT NULL, "
            "last_error FROM core_notice WHERE topic = 'events.signup'"
        ).fetchall()
        messages = db.execute(
            "SELECT user_id, count(*) FROM accounts_message GROUP BY user_id"
        ).fetchall()
    return {
        "signups": [
            {"id": row[0], "username": row[1], "user_id": row[2], "status": row[3]}
            for row in signups
        ],
        "notices": [dict(zip(NOTICE_COLUMNS, row, strict=True)) for row in notices],
        "site_messages": dict(messages),
    }


def texts_received(folder: Path) -> Counter:
    path = folder / "sms" / "sms.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return Counter(json.loads(line)["phone"] for line in lines if line)


def mails_received(folder: Path) -> Counter:
    """Django's file backend writes each connection's messages into one file, one after the
    other, each followed by a line of dashes."""
    counts: Counter = Counter()
    for path in sorted((folder / "mail").glob("*.log")) if (folder / "mail").exists() else []:
        for chunk in path.read_text(errors="replace").split("-" * 79):
            if chunk.strip():
                message = email.message_from_string(chunk.strip())
                for address in (message.get("To") or "").split(","):
                    if address.strip():
                        counts[address.strip()] += 1
    return counts


def wait_for_outbox(database_url: str, *, timeout: float) -> float | None:
    """Seconds until no sign-up notice is open (None: still open after ``timeout``)."""
    import psycopg

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with psycopg.connect(database_url) as db:
                open_count = db.execute(
                    "SELECT count(*) FROM core_notice WHERE topic = 'events.signup' "
                    "AND done_at IS NULL"
                ).fetchone()[0]
        except psycopg.OperationalError:
            open_count = -1
        if open_count == 0:
            return time.monotonic() - started
        time.sleep(2)
    return None


def outcome(record: dict) -> str:
    """ "302 /accounts/login/", "503", "ConnectionResetError: …"."""
    location = urllib.parse.urlsplit(record.get("location", "")).path
    return f"{record.get('status') or record.get('error')} {location}".strip()


def expected_failure(record: dict, db_cut: tuple[float, float] | None) -> bool:
    """A 503 for a request that was being answered while PostgreSQL was cut (it may have started
    just before the cut)."""
    if db_cut is None or record.get("status") != 503:
        return False
    return record["t"] < db_cut[1] and record["t"] + record["ms"] / 1000 > db_cut[0]


def summarise_phase(
    records: list[dict], setup: dict, saved_users: set[str], db_cut: tuple[float, float] | None
) -> dict:
    kinds: dict[str, dict] = {}
    for kind in ("home", "events", "event", "login", "signup"):
        rows = [r for r in records if r["kind"] == kind]
        if not rows:
            continue
        statuses = Counter(str(r.get("status") or r.get("error", "?").split(":")[0]) for r in rows)
        latencies = [r["ms"] for r in rows]
        other = Counter(outcome(r) for r in rows if not answered_ok(r, setup))
        kinds[kind] = {
            "requests": len(rows),
            "ok": sum(answered_ok(r, setup) for r in rows),
            "not_ok": dict(other.most_common(4)),
            "statuses": dict(sorted(statuses.items())),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "max_ms": round(max(latencies), 1),
        }
    unexpected = Counter(
        f"{r['kind']} {outcome(r)}"
        for r in records
        if not answered_ok(r, setup) and not expected_failure(r, db_cut)
    )
    posted = [r for r in records if r["kind"] == "signup"]
    ok = {r["user"] for r in posted if answered_ok(r, setup)}
    attempted = {r["user"] for r in posted}
    saved = attempted & saved_users
    pages = [r["ms"] for r in records if r["kind"] in ("home", "events", "event")]
    return {
        "requests": kinds,
        "pages": {
            "answered": len(pages),
            "p95_ms": round(percentile(pages, 95), 1) if pages else None,
        },
        "unexpected": dict(unexpected.most_common()),
        "signups": {
            "posted": len(posted),
            "answered_ok": len(ok),
            "saved": len(saved),
            "answered_ok_but_not_saved": len(ok - saved),
            "saved_but_not_answered_ok": len(saved - ok),
        },
    }


def channel_check(state: dict, setup: dict, folder: Path) -> dict:
    """For every saved sign-up: its confirmation notice done, and the person's site message,
    email and SMS each received exactly once."""
    texts, mails = texts_received(folder), mails_received(folder)
    notices = {n["object_id"]: n for n in state["notices"] if n["kind"] == "confirmed"}
    report = {
        channel: {"once": 0, "missing": 0, "more_than_once": 0}
        for channel in ("site", "email", "sms")
    }
    notice_states: Counter = Counter()
    problems: list[str] = []
    for signup in state["signups"]:
        user = setup["users"][signup["username"]]
        notice = notices.get(signup["id"])
        notice_states[notice["state"] if notice else "none"] += 1
        if notice is None or not notice["done"] or notice["state"] != "sent":
            problems.append(f"sign-up {signup['id']}: notice {notice and notice['state']}")
        received = {
            "site": state["site_messages"].get(signup["user_id"], 0),
            "email": mails[f"{signup['username']}@bench.example"],
            "sms": texts[user["phone"]],
        }
        for channel, count in received.items():
            key = "once" if count == 1 else "missing" if count == 0 else "more_than_once"
            report[channel][key] += 1
            if count != 1:
                problems.append(f"sign-up {signup['id']}: {channel} received {count} times")
    return {
        "signups_saved": len(state["signups"]),
        "notice_states": dict(notice_states),
        "notices_with_failed_attempts": sum(1 for n in notices.values() if n["attempts"]),
        "notices_given_up": sum(1 for n in notices.values() if n["failed"]),
        "channels": report,
        "problems": problems[:20],
        "problem_count": len(problems),
    }


def log_counts(path: Path, patterns: dict[str, str]) -> dict[str, int]:
    text = path.read_text(errors="replace") if path.exists() else ""
    return {name: len(re.findall(pattern, text)) for name, pattern in patterns.items()}


# -- the run -------------------------------------------------------------------------------------


def bench_environment(database_url: str, *, redis_url: str, folder: Path) -> dict[str, str]:
    """bench/run.py's production environment on this run's Redis (cache in database 0, broker
    in 1), queue and folder (texts in sms/sms.jsonl, mails in mail/)."""
    return {
        **environment(database_url),
        "REDIS_URL": f"{redis_url}/0",
        "CELERY_BROKER_URL": f"{redis_url}/1",
        "CELERY_QUEUE": QUEUE,
        "VAR_DIR": str(folder),
        "NOTICE_SWEEP_AFTER_SECONDS": "30",
        "EMAIL_BACKEND": "file",
        "SMS_BACKEND": "file",
    }


def build(env: dict[str, str], folder: Path) -> dict:
    """Migrate, collect static files and prepare the people (directly, not through the proxy)."""
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    setup_path = folder / "setup.json"
    subprocess.run([PYTHON, __file__, "--prepare", str(setup_path)], cwd=ROOT, env=env,
                   check=True)  # fmt: skip
    setup = json.loads(setup_path.read_text())
    setup_path.unlink()  # session keys: no use outside this run
    return setup


@contextlib.contextmanager
def service(name: str, folder: Path, env: dict[str, str], arguments: list[str]):
    """A process of the portal (``python <arguments>``) with its output in ``<name>.log``,
    stopped with SIGTERM (then SIGKILL) at the end."""
    with (folder / f"{name}.log").open("w") as log:
        process = subprocess.Popen(
            [PYTHON, *arguments], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--baseline", type=float, default=10)
    parser.add_argument("--redis-down", type=float, default=18, help="seconds Redis is stopped")
    parser.add_argument(
        "--redis-frozen", type=float, default=18, help="seconds Redis hangs (SIGSTOP); 0: not"
    )
    parser.add_argument("--db-down", type=float, default=6)
    parser.add_argument("--recovery", type=float, default=12, help="seconds after each outage")
    parser.add_argument("--outbox-timeout", type=float, default=420)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_FAULTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qiaoxin_bench_faults"
        ),
    )
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(out=args.prepare)
        return
    if not shutil.which("redis-server"):
        raise SystemExit("bench-faults needs redis-server: apt-get install redis-server")

    import psycopg

    name = args.database_url.rsplit("/", 1)[1]
    with psycopg.connect(args.database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    folder = ROOT / "var" / "bench" / "faults"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with contextlib.ExitStack() as stack:
        redis_server = RedisServer(free_port(), folder / "redis")
        redis_server.start()
        stack.callback(redis_server.stop)
        target = urllib.parse.urlsplit(args.database_url)
        proxy = stack.enter_context(TcpProxy(target.hostname or "127.0.0.1", target.port or 5432))
        proxied_url = args.database_url.replace(
            f"@{target.hostname}:{target.port or 5432}/", f"@127.0.0.1:{proxy.port}/"
        )
        if proxied_url == args.database_url:
            raise SystemExit("--database-url must look like postgres://user@host:port/name")
        direct = bench_environment(args.database_url, redis_url=redis_server.url, folder=folder)
        served = {**direct, "DATABASE_URL": proxied_url}  # the same SECRET_KEY: the sessions
        setup = build(direct, folder)
        server = stack.enter_context(service("gunicorn", folder, served, [
            "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{args.port}",
            "--workers", str(args.workers), "--log-level", "warning",  # timeout 30 s, as deployed
        ]))  # fmt: skip
        stack.enter_context(service("worker", folder, served, [
            "-m", "celery", "-A", "portal", "worker", "--beat", "--concurrency=2",
            "--loglevel=INFO", "-Q", QUEUE,
        ]))  # fmt: skip
        base = f"http://127.0.0.1:{args.port}"
        wait_until_up(base + "/healthz")
        if server.poll() is not None:
            raise SystemExit("gunicorn did not start (see var/bench/faults/gunicorn.log)")
        for path in ("/", "/events/", setup["event_path"]):  # warm every worker a little
            for _ in range(args.workers * 2):
                urllib.request.urlopen(base + path, timeout=30).read()

        load = Load(args.port, setup)
        load.start()
        stack.callback(load.finish)
        phases: list[dict] = []

        def phase(name: str, seconds: float, *, begin=None, end=None) -> None:
            started = time.monotonic() - load.t0
            if begin:
                begin()
            print(f"{started:6.1f}s  {name}", flush=True)
            time.sleep(seconds)
            if end:
                end()
            phases.append({"name": name, "start": started, "end": time.monotonic() - load.t0})

        phase("baseline", args.baseline)
        phase("redis_down", args.redis_down, begin=redis_server.stop, end=redis_server.start)
        phase("redis_back", args.recovery)
        if args.redis_frozen:
            phase("redis_frozen", args.redis_frozen, begin=redis_server.freeze,
                  end=redis_server.thaw)  # fmt: skip
            phase("redis_thawed", args.recovery)
        phase("db_down", args.db_down, begin=proxy.cut, end=proxy.restore)
        phase("db_back", args.recovery)
        load.finish()
        print("load over; waiting for the outbox to empty", flush=True)
        outbox_seconds = wait_for_outbox(args.database_url, timeout=args.outbox_timeout)

    with (folder / "requests.jsonl").open("w") as raw:  # for a closer look; not a result
        raw.writelines(json.dumps(record) + "\n" for record in load.records)
    state = database_state(args.database_url, setup["event_id"])
    saved_users = {signup["username"] for signup in state["signups"]}
    by_phase: dict[str, list[dict]] = defaultdict(list)
    for record in load.records:
        for item in phases:
            if item["start"] <= record["t"] < item["end"]:
                by_phase[item["name"]].append(record)
                break
    db_cut = next(((i["start"], i["end"]) for i in phases if i["name"] == "db_down"), None)
    phase_results = {
        item["name"]: {
            "seconds": round(item["end"] - item["start"], 1),
            **summarise_phase(by_phase[item["name"]], setup, saved_users, db_cut),
        }
        for item in phases
    }
    delivery = channel_check(state, setup, folder)
    all_statuses = Counter(r.get("status") for r in load.records)
    lost = sum(p["signups"]["answered_ok_but_not_saved"] for p in phase_results.values())
    baseline = phase_results["baseline"]
    working = (
        baseline["signups"]["saved"] > 0
        and baseline["signups"]["answered_ok"] == baseline["signups"]["posted"]
        and baseline["requests"].get("login", {}).get("ok", 0) > 0
    )
    verdicts = {
        "the load works (baseline: sign-ups saved, logins)": working,
        "no 500": all_statuses.get(500, 0) == 0,
        "no sign-up answered as saved and lost": lost == 0,
        **{
            f"{name}: every request answered as it should (503 only while PostgreSQL is cut)": (
                not item["unexpected"]
            )
            for name, item in phase_results.items()
        },
        **{
            f"{name}: pages answered within {PAGE_P95_LIMIT_MS / 1000:g} s (p95)": (
                (item["pages"]["p95_ms"] or 0) <= PAGE_P95_LIMIT_MS
            )
            for name, item in phase_results.items()
            if name != "db_down"
        },
        "the outbox emptied": outbox_seconds is not None,
        "every saved sign-up's notice delivered once per channel": delivery["problem_count"] == 0,
    }
    met = all(verdicts.values())
    result = {
        "name": "faults",
        "what": "gunicorn + Celery worker with beat on their own Redis and on PostgreSQL through "
        f"a proxy; browsing, logins and sign-ups while Redis is stopped for {args.redis_down:g} s,"
        f" then hangs (SIGSTOP) for {args.redis_frozen:g} s, then PostgreSQL is cut for "
        f"{args.db_down:g} s",
        "phases": phase_results,
        "baseline_works": working,
        "answers_500": all_statuses.get(500, 0),
        "signups_answered_ok_but_not_saved": lost,
        "outbox": {
            "emptied_seconds_after_load": None if outbox_seconds is None else round(outbox_seconds),
            "note": "the sweeper runs every 120 s (beat); NOTICE_SWEEP_AFTER_SECONDS=30 here",
            **delivery,
        },
        "logs": {
            "gunicorn": log_counts(
                folder / "gunicorn.log",
                {
                    "answered_503": r"answered 503",
                    "cache_unavailable": r"cache unavailable",
                    "not_enqueued": r"not enqueued \(the sweeper will\)",
                    "tracebacks": r"Traceback",
                },
            ),
            "worker": log_counts(
                folder / "worker.log",
                {
                    "retries": r"Retry in",
                    "operational_error_retries": r"Retry in [^\n]*Operational",
                    "sweeper_enqueued": r"sweeper: \d+ open notices enqueued again",
                    "channel_failures": r"WARNING[^\n]*failed: ",
                    "task_errors": r"raised unexpected",
                    "broker_connection_lost": r"consumer: Connection to broker lost",
                },
            ),
        },
        "verdicts": verdicts,
        "met": met,
        "target": "no 500; Redis stopped or hanging: every page, login and sign-up answered as "
        f"usual, pages within {PAGE_P95_LIMIT_MS / 1000:g} s (p95); PostgreSQL cut: 503, "
        "nothing else; every sign-up answered OK is saved; after "
        "recovery every confirmed sign-up's notice delivered once per channel (site message, "
        "email, SMS)",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "note": "load threads, gunicorn, the worker, Redis and PostgreSQL share these cores",
        },
        "server": {
            "gunicorn_workers": args.workers,
            "celery": "worker --beat --concurrency=2 (prefork)",
            "settings": "production (SECURE_COOKIES=false on loopback)",
        },
        "load": {
            "readers": "2 threads: home, /events/, the event page in turn, each request when the "
            "last answered, 50 ms apart",
            "logins": "one arriving every 2.5 s (allauth's form, by phone number and password)",
            "signups": "one arriving every 0.5 s, each by another logged-in person; arrivals do "
            "not wait for earlier answers",
            "phases": "a request counts in the phase it started in; a 503 is expected for any "
            "request answered while PostgreSQL was cut",
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "faults.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print_summary(result)
    print(f"written {path.relative_to(ROOT)}")
    if not met:
        raise SystemExit("faults: not met (see NOT MET above)")


def print_summary(result: dict) -> None:
    print()
    print(
        f"{'phase':<13} {'requests':>8}  {'statuses':<34} {'sign-ups ok/saved':>17}  "
        "p95 ms (pages, all)"
    )
    for name, item in result["phases"].items():
        statuses: Counter = Counter()
        for kind in item["requests"].values():
            statuses.update(kind["statuses"])
        p95 = max((kind["p95_ms"] for kind in item["requests"].values()), default=0)
        signups = item["signups"]
        print(
            f"{name:<13} {sum(statuses.values()):>8}  "
            f"{', '.join(f'{k}×{v}' for k, v in sorted(statuses.items())):<34} "
            f"{signups['answered_ok']:>8}/{signups['saved']:<8}  "
            f"{item['pages']['p95_ms'] or 0:.0f}, {p95:.0f}"
        )
    outbox = result["outbox"]
    print(
        f"500s: {result['answers_500']}; sign-ups answered OK but not saved: "
        f"{result['signups_answered_ok_but_not_saved']}; outbox empty "
        f"{outbox['emptied_seconds_after_load']} s after the load; channels: "
        + "; ".join(f"{c} {v}" for c, v in outbox["channels"].items())
    )
    for verdict, value in result["verdicts"].items():
        if not value:
            print(f"NOT MET: {verdict}")
    for name, item in result["phases"].items():
        if item["unexpected"]:
            print(f"  {name}: {item['unexpected']}")
    print(f"met: {result['met']}")


if __name__ == "__main__":
    main()
