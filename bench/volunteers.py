#!/usr/bin/env python
"""The volunteers at scale (issue 10): 5,000 volunteers beside a 1,000,000-member register on
PostgreSQL.

Goals: proposing volunteers for a help request < 100 ms median; 100 volunteers taking the 20
places of one shift at the same moment over HTTP: exactly 20 taken, 0 errors.

    make bench-volunteers
    .venv/bin/python bench/volunteers.py --members 100000     # a quicker register
    .venv/bin/python bench/volunteers.py --rebuild            # the register and team afresh

The database (``BENCH_VOLUNTEERS_DATABASE_URL``) is built once and kept: the register as
bench/register_lists.py builds it (migrate, demo seed without households, an imported .xlsx),
then the team (``--prepare``, a Django script run with the bench environment): 5,000
volunteers on register members (``bulk_create``: eight skills at three levels, one to three
each, one or two communities, times of day as bits; most approved with a number, some pending
or paused), 100 of them with an account, and help requests: open ones to propose for,
assigned ones so that each volunteer's load has something to count, finished ones. Each run
makes a new shift (an event of kind 志愿活动, 120 seats) with one slot of 20 places, and a
logged-in session for each of the 100 account holders.

Then:

1. ``volunteers.selectors.volunteers_proposed`` in-process, as staff, for ``--calls``
   different open requests (skills and communities vary), ``--rounds`` times: median and p95
   per round, the median of the rounds; one ``EXPLAIN (ANALYZE, BUFFERS)`` of its query;
2. over HTTP against gunicorn with production settings, one connection, logged in as staff
   with the second factor passed: the admin request page (which lists the proposals) for a
   few requests, and ``/healthz`` as the floor, taking turns for ``--rounds`` rounds (wrk);
3. the rush: 100 volunteers POST ``/volunteers/shifts/slot/<id>/take/`` at the same moment
   (each on its own connection, released by a barrier). Every answer must be the redirect to
   the shift (a refusal is one too, with a message); then the database must hold exactly 20
   active takings and 20 confirmed sign-ups for the event, and nothing else.

Writes bench/results/volunteers.json; exits non-zero when the rush's counts are wrong or a
request failed. Redis databases 2 and 3 (``BENCH_REDIS_URL``, ``BENCH_BROKER_URL``); the
notices the rush enqueues go to a queue of their own, emptied afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Redis databases of its own (set before bench/register_lists.py sets its defaults)
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
os.environ.setdefault("BENCH_BROKER_URL", "redis://127.0.0.1:6379/3")
from register import login
from register_lists import _members_in, build
from run import PYTHON, RESULTS, ROOT, environment, wait_until_up, wrk
from signups import percentile, rush, worker_pids

QUEUE = "bench-volunteers"
TARGET_PROPOSE_P50_MS = 100
NUMBER_PREFIX = "QXB"  # numbers apart from the demo's QX<year>-…
STAFF_PHONE, STAFF_PASSWORD = "13900000006", "qiaoxin2026"  # the demo staff persona


def bench_environment(database_url: str) -> dict[str, str]:
    return {**environment(database_url), "CELERY_QUEUE": QUEUE}


# -- inside the bench environment (subprocesses: `volunteers.py --prepare/--measure out.json`) --


def _django() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def team_make(*, volunteers: int, people: int, rng: random.Random) -> None:
    """The team and its help requests, once (``bulk_create``: set-up, not what is measured)."""
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import User
    from households.models import Household, Member
    from volunteers.choices import Level, RequestStatus, Status, TimeSlot, Urgency
    from volunteers.demo import SKILLS
    from volunteers.models import HelpRequest, Skill, Volunteer, VolunteerSkill

    skills = []
    for order, (name, description, needs_proof, hint) in enumerate(SKILLS):
        skill, _ = Skill.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "needs_proof": needs_proof,
                "proof_hint": hint,
                "sort_order": order,
            },
        )
        skills.append(skill)
    rush_skill = skills[2]  # 家电维修
    communities = list(Household.objects.values_list("community_id", flat=True).distinct())
    staff = User.objects.get(username="demo_staff")
    now = timezone.now()
    year = timezone.localdate(now).year

    member_ids = list(
        Member.objects.filter(volunteer__isnull=True, is_deceased=False).values_list(
            "pk", "household__community_id"
        )
    )
    picked = rng.sample(member_ids, volunteers - people)
    password = make_password(None)
    users = User.objects.bulk_create(
        User(
            username=f"vbench{n:04d}",
            name=f"义工压测{n:04d}",
            phone=f"+86136{n:08d}",
            phone_verified=True,
            password=password,
        )
        for n in range(people)
    )
    levels = [Level.PROFESSIONAL, Level.EXPERIENCED, Level.EXPERIENCED, Level.LEARNER]
    times = list(TimeSlot.values)
    rows, their_skills, their_communities = [], [], []
    for n in range(volunteers):
        account = n < people  # the rush's volunteers: online, with an account
        fate = rng.random()
        status = Status.ACTIVE
        if not account and fate < 0.04:
            status = Status.PENDING
        elif not account and fate < 0.07:
            status = Status.PAUSED
        mask = 0
        for bit in rng.sample(times, k=rng.randint(1, 4)):
            mask |= bit
        member_id, home = (None, rng.choice(communities)) if account else picked[n - people]
        rows.append(
            Volunteer(
                user=users[n] if account else None,
                member_id=member_id,
                name=f"义工{n:05d}",
                status=status,
                channel=Volunteer.Channel.ONLINE if account else Volunteer.Channel.PAPER,
                number=None if status == Status.PENDING else f"{NUMBER_PREFIX}{year}-{n + 1:05d}",
                times=mask,
                applied_at=now - timedelta(days=rng.randint(1, 900)),
                decided_at=None if status == Status.PENDING else now,
                decided_by=None if status == Status.PENDING else staff,
                joined_at=None if status == Status.PENDING else now,
            )
        )
        offered = rng.sample(skills, k=rng.choice([1, 1, 2, 2, 3]))
        if account and rush_skill not in offered:
            offered[0] = rush_skill
        their_skills.append([(s, rng.choice(levels)) for s in offered])
        serves = {home} | ({rng.choice(communities)} if rng.random() < 0.3 else set())
        their_communities.append(serves)
    made = Volunteer.objects.bulk_create(rows, batch_size=1000)
    VolunteerSkill.objects.bulk_create(
        (
            VolunteerSkill(volunteer=v, skill=skill, level=level)
            for v, offered in zip(made, their_skills, strict=True)
            for skill, level in offered
        ),
        batch_size=2000,
    )
    Through = Volunteer.communities.through
    Through.objects.bulk_create(
        (
            Through(volunteer_id=v.pk, community_id=c)
            for v, serves in zip(made, their_communities, strict=True)
            for c in serves
        ),
        batch_size=2000,
    )

    # Help requests: open ones (to propose for), assigned ones (the load counted per
    # volunteer), finished ones (history the load must skip).
    households = list(
        Household.objects.order_by("?").values_list("pk", "community_id")[:5000]
    )  # a random few thousand of the register's households
    active = [
        (v, [s for s, _level in offered])
        for v, offered in zip(made, their_skills, strict=True)
        if v.status == Status.ACTIVE
    ]
    requests = []
    for kind, count in (
        (RequestStatus.OPEN, 1500),
        (RequestStatus.ASSIGNED, 3000),
        (RequestStatus.CONFIRMED, 3000),
    ):
        for _n in range(count):
            household, community = rng.choice(households)
            volunteer, offered = rng.choice(active) if kind != RequestStatus.OPEN else (None, [])
            skill = rng.choice(offered) if volunteer else rng.choice(skills)
            mask = 0
            for bit in rng.sample(times, k=rng.randint(1, 3)):
                mask |= bit
            requests.append(
                HelpRequest(
                    household_id=household,
                    community_id=community,
                    skill=skill,
                    title=f"{skill.name}求助",
                    times=mask,
                    urgency=rng.choice(list(Urgency.values)),
                    status=kind,
                    requested_by=staff,
                    on_behalf=True,
                    volunteer=volunteer,
                    due_at=now + timedelta(days=rng.randint(-10, 30)),
                    assigned_at=now if volunteer else None,
                    done_at=now if kind == RequestStatus.CONFIRMED else None,
                    confirmed_at=now if kind == RequestStatus.CONFIRMED else None,
                )
            )
    HelpRequest.objects.bulk_create(requests, batch_size=1000)


def prepare(*, volunteers: int, people: int, places: int, out: Path) -> None:
    """The team (once), this run's shift and the rush's sessions, written to ``out``."""
    _django()
    import secrets
    import string
    import urllib.parse
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.middleware import SESSION_REFRESHED_KEY, session_idle_limit
    from accounts.models import User
    from events.choices import EventKind
    from events.pages import EventIndexPage, EventPage
    from events.selectors import events_index
    from portal.models import HomePage
    from volunteers.models import Skill, Volunteer
    from volunteers.services import shift_slots_set

    rng = random.Random(20261202)
    if not Volunteer.objects.filter(number__startswith=NUMBER_PREFIX).exists():
        print(f"making {volunteers} volunteers and their help requests …", flush=True)
        team_make(volunteers=volunteers, people=people, rng=rng)

    staff = User.objects.get(username="demo_staff")
    index = events_index()
    if index is None:
        index = HomePage.objects.get().add_child(
            instance=EventIndexPage(title="活动", slug="events")
        )
        index.save_revision().publish()
    starts_at = timezone.now() + timedelta(days=7)
    event = EventPage(
        title="社区义诊与家电义修",
        slug=f"vbench-shift-{int(time.time())}",
        kind=EventKind.VOLUNTEER,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        place="侨联活动中心",
        capacity=people + 20,
        party_size_max=1,
    )
    index.add_child(instance=event)
    event.save_revision().publish()
    skill = Skill.objects.get(name="家电维修")
    (slot,) = shift_slots_set(actor=staff, event_id=event.pk, places={skill.pk: places})

    # Sessions as a returning visitor has them (see bench/signups.py): no request writes one.
    rushers = list(
        Volunteer.objects.filter(user__username__startswith="vbench")
        .select_related("user")
        .order_by("pk")[:people]
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    alphabet = string.ascii_letters + string.digits
    sessions, clients = [], []
    for volunteer in rushers:
        user = volunteer.user
        limit = session_idle_limit(user)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            "_session_expiry": limit,
            SESSION_REFRESHED_KEY: int(time.time()),
        }
        key = secrets.token_hex(16)
        sessions.append(
            Session(
                session_key=key,
                session_data=store().encode(data),
                expire_date=timezone.now() + timedelta(seconds=limit),
            )
        )
        clients.append({"session": key, "csrf": "".join(rng.choice(alphabet) for _ in range(32))})
    Session.objects.bulk_create(sessions)
    out.write_text(
        json.dumps(
            {
                "event": {"id": event.pk, "path": urllib.parse.urlsplit(event.get_url()).path},
                "slot": slot.pk,
                "session_cookie": settings.SESSION_COOKIE_NAME,
                "csrf_cookie": settings.CSRF_COOKIE_NAME,
                "csrf_header": settings.CSRF_HEADER_NAME.removeprefix("HTTP_")
                .replace("_", "-")
                .title(),
                "clients": clients,
            }
        )
    )


def measure_in_process(*, calls: int, rounds: int, out: Path) -> None:
    """``volunteers_proposed`` as staff for ``calls`` open requests, ``rounds`` times."""
    _django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from volunteers.choices import RequestStatus, Status
    from volunteers.models import HelpRequest, Volunteer
    from volunteers.selectors import volunteers_proposed

    staff = User.objects.get(username="demo_staff")
    requests = list(HelpRequest.objects.filter(status=RequestStatus.OPEN).order_by("pk"))
    random.Random(7).shuffle(requests)
    requests = requests[:calls]
    for request in requests[:20]:  # warm: imports, the connection, PostgreSQL's caches
        volunteers_proposed(user=staff, request=request)
    with CaptureQueriesContext(connection) as queries:
        proposals = volunteers_proposed(user=staff, request=requests[0])
    sql = max((q["sql"] for q in queries.captured_queries), key=len)  # the ranked one
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = [line for (line,) in cursor.fetchall()]

    per_round = []
    for _n in range(rounds):
        times = []
        for request in requests:
            started = time.perf_counter()
            volunteers_proposed(user=staff, request=request)
            times.append((time.perf_counter() - started) * 1000)
        per_round.append(
            {
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(percentile(times, 95), 2),
                "max_ms": round(max(times), 2),
            }
        )
        print(f"in-process round: {per_round[-1]}", flush=True)
    out.write_text(
        json.dumps(
            {
                "calls_per_round": len(requests),
                "queries_per_call": len(queries.captured_queries),
                "proposals_first_call": len(proposals),
                "distinct_skill_community_pairs": len(
                    {(r.skill_id, r.community_id) for r in requests}
                ),
                "rounds": per_round,
                "p50_ms": round(statistics.median(r["p50_ms"] for r in per_round), 2),
                "p95_ms": round(statistics.median(r["p95_ms"] for r in per_round), 2),
                "explain_execution_ms": next(
                    float(line.split()[-2]) for line in plan if line.startswith("Execution Time")
                ),
                "explain_analyze": plan,
                "request_ids_for_http": [r.pk for r in requests[:3]],
                "volunteers": Volunteer.objects.count(),
                "volunteers_active": Volunteer.objects.filter(status=Status.ACTIVE).count(),
                "help_requests": {
                    status: HelpRequest.objects.filter(status=status).count()
                    for status in RequestStatus.values
                },
            },
            ensure_ascii=False,
        )
    )


# -- the run -------------------------------------------------------------------------------------


def start_gunicorn(env: dict[str, str], *, port: int, workers: int) -> subprocess.Popen:
    """gunicorn with production settings, ours once its own workers run (another bench may
    answer on a taken port)."""
    command = [PYTHON, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while not worker_pids(server.pid):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"gunicorn did not start on 127.0.0.1:{port} (port taken?)")
        time.sleep(0.2)
    wait_until_up(f"http://127.0.0.1:{port}/healthz")
    return server


def measure_http(base: str, *, request_ids: list[int], rounds: int, seconds: int) -> dict:
    headers = {"Cookie": login(base, STAFF_PHONE, STAFF_PASSWORD)}
    pages = {f"request_{pk}": f"/admin/volunteers/requests/{pk}/" for pk in request_ids}
    pages["healthz"] = "/healthz"
    for key, path in pages.items():
        if key != "healthz":
            check = urllib.request.Request(base + path, headers=headers)
            with urllib.request.urlopen(check) as response:
                if response.url != base + path or response.status != 200:
                    raise SystemExit(f"{path}: not served as the logged-in staff user")
        wrk(base + path, seconds=2, connections=1, threads=1, headers=headers)
    measured: dict[str, list[dict]] = {key: [] for key in pages}
    for number in range(rounds):
        for key, path in pages.items():  # taking turns: a burst of load hits all alike
            r = wrk(base + path, seconds=seconds, connections=1, threads=1, headers=headers)
            measured[key].append({k: r[k] for k in ("p50_ms", "p95_ms", "requests", "errors")})
            print(f"round {number + 1} {key}: p50 {r['p50_ms']} ms", flush=True)
    result = {}
    for key, rows in measured.items():
        result[key] = {
            "url": pages[key],
            "p50_ms": round(statistics.median(r["p50_ms"] for r in rows), 2),
            "p95_ms": round(statistics.median(r["p95_ms"] for r in rows), 2),
            "errors": sum(r["errors"] for r in rows),
            "rounds": rows,
        }
    request_keys = [k for k in result if k != "healthz"]
    result["request_page_p50_ms"] = round(
        statistics.median(result[k]["p50_ms"] for k in request_keys), 2
    )
    return result


def rush_counts(database_url: str, *, event_id: int, slot_id: int) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url) as db:
        takings = dict(
            db.execute(
                "SELECT status, count(*) FROM volunteers_slottaking WHERE slot_id = %s "
                "GROUP BY status",
                [slot_id],
            ).fetchall()
        )
        signups = dict(
            db.execute(
                "SELECT status, count(*) FROM events_signup WHERE event_id = %s GROUP BY status",
                [event_id],
            ).fetchall()
        )
    return {
        "takings_active": takings.get("active", 0),
        "takings_other": sum(n for s, n in takings.items() if s != "active"),
        "signups_confirmed": signups.get("confirmed", 0),
        "signups_other": sum(n for s, n in signups.items() if s != "confirmed"),
    }


def empty_queue(env: dict[str, str]) -> int:
    import redis

    broker = redis.Redis.from_url(env["CELERY_BROKER_URL"])
    queued = broker.llen(QUEUE)
    broker.delete(QUEUE, f"_kombu.binding.{QUEUE}")
    return queued


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=200, help="requests proposed for, per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8, help="per page and round (wrk)")
    parser.add_argument("--people", type=int, default=100, help="in the rush")
    parser.add_argument("--places", type=int, default=20, help="in the rush")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    parser.add_argument("--port", type=int, default=8098)
    parser.add_argument("--rebuild", action="store_true", help="the register and team afresh")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_VOLUNTEERS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qiaoxin_vbench"
        ),
    )
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(
            volunteers=args.volunteers, people=args.people, places=args.places, out=args.prepare
        )
        return
    if args.measure:
        measure_in_process(calls=args.calls, rounds=args.rounds, out=args.measure)
        return

    import psycopg

    env = bench_environment(args.database_url)
    have = _members_in(args.database_url)
    if args.rebuild or have is None or have < args.members * 0.99:
        build(args, env)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    work = Path(env["VAR_DIR"]) / "volunteers"
    work.mkdir(parents=True, exist_ok=True)
    setup_path, inprocess_path = work / "setup.json", work / "in-process.json"
    here = [PYTHON, __file__, "--volunteers", str(args.volunteers), "--people", str(args.people)]
    subprocess.run(
        [*here, "--places", str(args.places), "--prepare", str(setup_path)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    try:
        setup = json.loads(setup_path.read_text())
    finally:
        setup_path.unlink()  # session keys: no use outside this run
    with psycopg.connect(args.database_url, autocommit=True) as db:
        db.execute("VACUUM ANALYZE")
        members = db.execute("SELECT count(*) FROM households_member").fetchone()[0]
    subprocess.run(
        [*here, "--calls", str(args.calls), "--rounds", str(args.rounds),
         "--measure", str(inprocess_path)],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    in_process = json.loads(inprocess_path.read_text())
    empty_queue(env)

    base = f"http://127.0.0.1:{args.port}"
    server = start_gunicorn(env, port=args.port, workers=args.workers)
    try:
        http = measure_http(
            base,
            request_ids=in_process.pop("request_ids_for_http"),
            rounds=args.rounds,
            seconds=args.seconds,
        )
        print(f"the rush: {args.people} volunteers for {args.places} places …", flush=True)
        path = f"/volunteers/shifts/slot/{setup['slot']}/take/"
        results, released = rush(args.port, setup, path=path, people=args.people)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    notices_queued = empty_queue(env)

    shift_path = f"/volunteers/shifts/{setup['event']['id']}/"
    ok = [r for r in results if r.get("status") == 302 and r.get("location") == shift_path]
    failures: dict[str, int] = {}
    for r in results:
        if r not in ok:
            key = r.get("error") or f"HTTP {r.get('status')} → {r.get('location') or '-'}"
            failures[key] = failures.get(key, 0) + 1
    latencies = [(r["done"] - r["sent"]) * 1000 for r in results if "sent" in r]
    counts = rush_counts(args.database_url, event_id=setup["event"]["id"], slot_id=setup["slot"])
    errors = len(results) - len(ok)
    rush_met = (
        counts["takings_active"] == args.places
        and counts["signups_confirmed"] == args.places
        and counts["takings_other"] == 0
        and counts["signups_other"] == 0
        and errors == 0
    )
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    result = {
        "name": "volunteers",
        "what": f"volunteers_proposed with {in_process['volunteers']} volunteers and {members} "
        "register members (in-process and the admin request page over HTTP, beside /healthz); "
        f"{args.people} volunteers take {args.places} places of one shift at the same moment",
        "members_in_register": members,
        "volunteers": in_process.pop("volunteers"),
        "volunteers_active": in_process.pop("volunteers_active"),
        "help_requests": in_process.pop("help_requests"),
        "targets": {
            "propose_p50_ms": TARGET_PROPOSE_P50_MS,
            "rush": f"exactly {args.places} taken, 0 errors",
        },
        "met": {
            "propose_in_process": in_process["p50_ms"] < TARGET_PROPOSE_P50_MS,
            "request_page_http": http["request_page_p50_ms"] < TARGET_PROPOSE_P50_MS,
            "rush": rush_met,
        },
        "propose_in_process": in_process,
        "http": http,
        "rush": {
            "people": args.people,
            "places": args.places,
            **counts,
            "errors": errors,
            "failures": failures,
            "wall_seconds": round(max(r["done"] for r in results) - released, 3),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "max_ms": round(max(latencies), 1),
            "note": "a refusal (places full) is the same redirect as a success, with a message: "
            "what was taken is counted in the database",
        },
        "notices_queued": notices_queued,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "uptime_at_end": uptime,
            "note": "shared machine: the clients, gunicorn, PostgreSQL and other sessions' work "
            "run on the same two cores",
        },
        "server": {
            "gunicorn_workers": args.workers,
            "settings": "production (SECURE_COOKIES=false on loopback)",
            "database": "PostgreSQL (local)",
            "http_load": f"wrk, one connection, {args.seconds} s per page and round, "
            f"{args.rounds} rounds; p50 is the median of the rounds' medians",
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "volunteers.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    summary = {k: result[k] for k in ("met", "members_in_register", "volunteers")}
    summary["propose_p50_ms"] = in_process["p50_ms"]
    summary["request_page_p50_ms"] = http["request_page_p50_ms"]
    summary["healthz_p50_ms"] = http["healthz"]["p50_ms"]
    summary["rush"] = {k: result["rush"][k] for k in ("takings_active", "errors", "p50_ms")}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    print(f"written {out.relative_to(ROOT)}")
    if not rush_met:
        raise SystemExit("volunteers: the rush's counts are wrong or requests failed")


if __name__ == "__main__":
    main()
