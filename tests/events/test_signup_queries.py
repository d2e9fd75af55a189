"""What one sign-up POST costs the database: a fixed number of queries, and under the seat lock
only the writes (``events.services._signup_write_locked``). Fails when either grows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Signup
from events.services import signup_create
from tests.factories import UserFactory
from tests.factories.events import event_create

pytestmark = pytest.mark.django_db

#: A confirmed sign-up, the whole request: the session, the user, the user's and their groups'
#: permissions (the second-factor rule, accounts.middleware), the register record, the event,
#: its questions, then the transaction (below). On SQLite the sign-up, its log row and its
#: notice are three inserts; on PostgreSQL one statement.
QUERIES = {"postgresql": 11, "sqlite": 13}
#: From taking the seat lock to the end of the transaction on PostgreSQL: one statement locks the
#: seat row (setting the lock timeout on the way, with the event's capacity read now), counts
#: and takes the seat; one inserts the sign-up, its log row and its notice (one insert: the
#: sign-up is new, nothing can be owed about it yet); then the commit (a release inside a
#: test's transaction).
LOCKED = [
    ["set_config('lock_timeout'", "UPDATE events_eventseats"],
    ['INSERT INTO "events_signup"', 'INSERT INTO "events_signuplog"', 'INSERT INTO "core_notice"'],
    ["RELEASE SAVEPOINT"],
]


@pytest.fixture
def event():
    return event_create(capacity=1, party_size_max=1, questions=[{"label": "饮食"}])


@pytest.fixture
def signed_in(client, relative, event):
    """A returning visitor: the session's lifetime was pushed forward on an earlier request
    (accounts.middleware writes it at most every few minutes) and the site's URLs are cached."""
    client.force_login(relative)
    client.get("/healthz")
    event.url  # noqa: B018
    return client


def _sign_up(client, event) -> list[str]:
    question = event.questions.get()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"/me/events/join/{event.pk}/", {"party_size": "1", f"q{question.pk}": "不吃香菜"}
        )
    assert response.status_code == 302
    assert response["Location"] == event.url
    return [query["sql"] for query in queries.captured_queries]


def _listing(sql: list[str]) -> str:
    return "\n".join(f"{n:2d} {statement[:120]}" for n, statement in enumerate(sql, 1))


def test_a_sign_up_post_runs_a_fixed_number_of_queries(signed_in, relative, event):
    sql = _sign_up(signed_in, event)

    assert Signup.objects.get(user=relative).status == "confirmed"
    assert len(sql) == QUERIES[connection.vendor], _listing(sql)


def test_a_waitlisted_one_only_adds_its_place_in_the_list(signed_in, relative, event):
    for _ in range(3):
        signup_create(event_id=event.pk, actor=UserFactory())

    sql = _sign_up(signed_in, event)

    assert Signup.objects.get(user=relative).status == "waitlisted"
    assert len(sql) == QUERIES[connection.vendor] + 1, _listing(sql)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the row lock is PostgreSQL's")
def test_under_the_seat_lock_a_sign_up_only_writes(signed_in, event):
    sql = _sign_up(signed_in, event)

    locked = next(n for n, statement in enumerate(sql) if "events_eventseats" in statement)
    assert "wagtailcore_page" not in sql[locked]  # the page's Wagtail row is not joined
    assert len(sql[locked:]) == len(LOCKED), _listing(sql[locked:])
    for statement, parts in zip(sql[locked:], LOCKED, strict=True):
        assert all(part in statement for part in parts), _listing(sql[locked:])
