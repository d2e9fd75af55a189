"""No oversell under concurrent sign-ups (PostgreSQL, real threads, each on its own connection).

50 people press "sign up" at the same moment for 10 seats: exactly 10 are confirmed and 40
waitlisted. The negative control turns the row lock off and holds every thread between counting
and writing, as a slow server would: then the same test sees an oversell, which shows that it
can detect one.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from events import services
from events.models import EventPage, Signup
from events.selectors import event_seats_confirmed
from tests.factories import UserFactory
from tests.factories.events import event_create

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
    # The notices of the sign-ups run in the signing-up threads: a real worker of this test
    # process would otherwise still be sending them while teardown empties the tables.
    pytest.mark.usefixtures("eager_jobs"),
]

PEOPLE = 50
SEATS = 10


def sign_up_all_at_once(event_id: int, users) -> list[BaseException]:
    start = threading.Barrier(len(users), timeout=30)
    errors: list[BaseException] = []

    def one(user):
        try:
            start.wait()
            services.signup_create(event_id=event_id, user=user)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_fifty_at_once_for_ten_seats_confirms_exactly_ten():
    event = event_create(capacity=SEATS, party_size_max=1)
    users = [UserFactory() for _ in range(PEOPLE)]

    errors = sign_up_all_at_once(event.pk, users)

    assert errors == []
    statuses = list(Signup.objects.filter(event=event).values_list("status", flat=True))
    assert statuses.count("confirmed") == SEATS
    assert statuses.count("waitlisted") == PEOPLE - SEATS
    assert event_seats_confirmed(event_id=event.pk) == SEATS


def test_negative_control_without_the_lock_the_test_sees_an_oversell(monkeypatch):
    event = event_create(capacity=SEATS, party_size_max=1)
    users = [UserFactory() for _ in range(PEOPLE)]
    counted = threading.Barrier(PEOPLE, timeout=30)
    real_count = services.event_seats_confirmed

    def count_then_wait(*, event_id):
        seats = real_count(event_id=event_id)
        counted.wait()  # everyone has counted before anyone writes
        return seats

    monkeypatch.setattr(services, "event_lock", lambda event_id: EventPage.objects.get(pk=event_id))
    monkeypatch.setattr(services, "event_seats_confirmed", count_then_wait)

    errors = sign_up_all_at_once(event.pk, users)

    assert errors == []
    confirmed = Signup.objects.filter(event=event, status="confirmed").count()
    assert confirmed > SEATS, "without the lock the seats must be oversold"
