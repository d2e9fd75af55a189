"""Sign-ups under concurrency (PostgreSQL, real threads, each on its own connection).

- No oversell: 50 people press "sign up" at the same moment for 10 seats: exactly 10 are
  confirmed and 40 waitlisted. The negative control turns the seat lock off and holds every
  thread between counting and writing, as a slow server would: then the same test sees an
  oversell, which shows that it can detect one.
- The waiting list keeps its order when capacity grows in the middle of a rush: Wagtail commits
  the page and only then tells us (``page_published``); newcomers who arrive in between must not
  take the new seats ahead of older waiting parties. The negative control turns off the
  promotion ``signup_create`` does before confirming a newcomer: then they do.
- A sign-up that cannot get the seat lock within the timeout is told "系统繁忙" and writes
  nothing.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from core.locking import lock_row
from core.models import Notice
from events import services
from events.models import EventSeats, Signup
from events.pages import EventPage
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
            services.signup_create(event_id=event_id, actor=user)
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
    EventSeats.objects.get_or_create(event=event)
    users = [UserFactory() for _ in range(PEOPLE)]
    counted = threading.Barrier(PEOPLE, timeout=30)

    def read_then_wait(event_id, *, event):
        seats = EventSeats.objects.get(pk=event_id)  # no FOR UPDATE
        seats.event = event
        counted.wait()  # everyone has read the count before anyone writes
        return seats

    # The one statement that locks, counts and takes (seats_take_at_once) cannot run without
    # its lock: without it every sign-up takes the long way, whose lock is off here.
    monkeypatch.setattr(services, "seats_take_at_once", lambda event_id, *, party_size: None)
    monkeypatch.setattr(services, "seats_lock", read_then_wait)

    errors = sign_up_all_at_once(event.pk, users)

    assert errors == []
    confirmed = Signup.objects.filter(event=event, status="confirmed").count()
    assert confirmed > SEATS, "without the lock the seats must be oversold"


# -- the waiting list and a capacity change in the middle of a rush ------------------------------

FIRST, WAITING, EARLY, LATE, MORE = 20, 10, 15, 15, 5


def _rush_with_a_capacity_change(monkeypatch) -> EventPage:
    """20 seats taken, 10 people waiting; then 30 newcomers: 15 arrive before an editor raises
    capacity 20 → 25, 15 (all at once) after Wagtail committed the page and before the
    promotion it triggers has run (held until they are done, to make the window certain)."""
    event = event_create(capacity=FIRST, party_size_max=1)
    for _ in range(FIRST + WAITING):
        services.signup_create(event_id=event.pk, actor=UserFactory())
    early = [UserFactory() for _ in range(EARLY)]
    late = [UserFactory() for _ in range(LATE)]
    committed, late_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    late_start = threading.Barrier(LATE, timeout=30)

    def newcomer(user, *, wait_for_commit: bool):
        try:
            if wait_for_commit:
                assert committed.wait(30)
                late_start.wait()
            services.signup_create(event_id=event.pk, actor=user)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=newcomer, args=(u,), kwargs={"wait_for_commit": False})
               for u in early]  # fmt: skip
    threads += [threading.Thread(target=newcomer, args=(u,), kwargs={"wait_for_commit": True})
                for u in late]  # fmt: skip
    real_published = services.event_published

    def published_later(**kwargs):
        committed.set()  # the page with 25 seats is committed: the late ones come in now
        for thread in threads[EARLY:]:
            thread.join(60)
        late_done.set()
        return real_published(**kwargs)

    monkeypatch.setattr(services, "event_published", published_later)
    for thread in threads[:EARLY]:
        thread.start()
    for thread in threads[EARLY:]:
        thread.start()
    page = EventPage.objects.get(pk=event.pk)
    page.capacity = FIRST + MORE
    page.save_revision().publish()
    for thread in threads:
        thread.join(60)
    assert late_done.is_set()
    assert errors == []
    return event


def _fifo_broken(event: EventPage) -> list[int]:
    """Waiting sign-ups older than a confirmed one (everyone is a party of one, so the seats
    must go strictly in order of arrival)."""
    confirmed = Signup.objects.filter(event=event, status="confirmed")
    newest_confirmed = max(confirmed.values_list("pk", flat=True))
    return list(
        Signup.objects.filter(event=event, status="waitlisted", pk__lt=newest_confirmed)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def test_a_capacity_change_mid_rush_keeps_the_waiting_list_in_order(monkeypatch):
    event = _rush_with_a_capacity_change(monkeypatch)

    statuses = list(Signup.objects.filter(event=event).values_list("status", flat=True))
    assert statuses.count("confirmed") == FIRST + MORE
    assert statuses.count("waitlisted") == WAITING + EARLY + LATE - MORE
    assert _fifo_broken(event) == []
    seats = EventSeats.objects.get(pk=event.pk)
    assert seats.confirmed == event_seats_confirmed(event_id=event.pk) == FIRST + MORE
    assert seats.waiting == WAITING + EARLY + LATE - MORE
    # the five who moved up are the five oldest waiting, each told once
    promoted = Signup.objects.filter(event=event, logs__action="promote")
    assert promoted.count() == MORE
    assert (
        Notice.objects.filter(kind="promoted", object_id__in=promoted.values("pk")).count() == MORE
    )


def test_negative_control_without_promoting_first_newcomers_jump_the_queue(monkeypatch):
    monkeypatch.setattr(services, "PROMOTE_BEFORE_CONFIRMING", False)
    event = _rush_with_a_capacity_change(monkeypatch)

    assert Signup.objects.filter(event=event, status="confirmed").count() == FIRST + MORE
    assert _fifo_broken(event), "without promoting first, newcomers must take the new seats"


# -- the lock timeout ------------------------------------------------------------------------------


def test_a_sign_up_that_cannot_get_the_lock_is_told_busy_and_writes_nothing(monkeypatch):
    event = event_create(capacity=SEATS, party_size_max=1)
    services.signup_create(event_id=event.pk, actor=UserFactory())  # the seat row exists
    monkeypatch.setattr(services, "SEAT_LOCK_TIMEOUT", 0.3)
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                lock_row(EventSeats.objects.all(), pk=event.pk)
                holding.set()
                release.wait(20)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        signups, notices = Signup.objects.count(), Notice.objects.count()
        with pytest.raises(services.SignupRefused) as refused:
            services.signup_create(event_id=event.pk, actor=UserFactory())
        assert refused.value.message == "系统繁忙，请稍后再试。"
        assert (Signup.objects.count(), Notice.objects.count()) == (signups, notices)
    finally:
        release.set()
        holder.join()
    # and once the lock is free the same sign-up goes through
    assert services.signup_create(event_id=event.pk, actor=UserFactory()).status == "confirmed"
