"""Volunteer numbers and help requests under concurrency (PostgreSQL, real threads, each on
its own connection).

Twenty approvals at the same moment get QX<year>-0001 … 0020: no gap, no repeat. The negative
control takes the year's row without its lock and holds every thread between reading the last
number and writing the next, as a slow server would: then approvals collide, which shows the
test can see a repeat.

Ten volunteers tap "我来帮忙" on the same request at the same moment: one gets it, nine are told
someone already took it. The negative control reads the request without its lock and holds
everyone until all have seen it open: then several are told they got it.
"""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.models import User
from tests.factories import UserFactory
from tests.factories.households import CommunityFactory
from tests.factories.volunteers import SkillFactory, application
from volunteers import services
from volunteers.models import Volunteer
from volunteers.services import common

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
    pytest.mark.usefixtures("eager_jobs"),
]

PEOPLE = 20


def _pending(staff_id: int) -> list[int]:
    community = CommunityFactory()
    skill = SkillFactory(name="家电维修")
    return [
        application(UserFactory(), skills=[(skill, "experienced")], communities=[community]).pk
        for _ in range(PEOPLE)
    ]


def all_at_once(call, items: list) -> tuple[int, list[BaseException]]:
    """Run ``call(item)`` for every item in its own thread and connection, all released at the
    same moment. Returns how many went through (a refusal is an expected "no") and the
    unexpected errors."""
    start = threading.Barrier(len(items), timeout=30)
    done: list = []
    errors: list[BaseException] = []

    def one(item):
        try:
            start.wait()
            call(item)
            done.append(item)
        except services.VolunteerRefused:
            pass
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return len(done), errors


def approve(staff_id: int):
    return lambda volunteer_id: services.volunteer_approve(
        actor=User.objects.get(pk=staff_id), volunteer_id=volunteer_id
    )


def take_request(request_id: int):
    return lambda user_id: services.help_request_take(
        actor=User.objects.get(pk=user_id), request_id=request_id
    )


def take_slot(slot_id: int):
    return lambda user_id: services.slot_take(actor=User.objects.get(pk=user_id), slot_id=slot_id)


def test_twenty_approvals_at_once_get_twenty_numbers_in_a_row(staff):
    ids = _pending(staff.pk)

    _approved, errors = all_at_once(approve(staff.pk), ids)

    assert errors == []
    year = timezone.localdate().year
    numbers = sorted(Volunteer.objects.values_list("number", flat=True))
    assert numbers == [f"QX{year}-{n:04d}" for n in range(1, PEOPLE + 1)]


def test_negative_control_without_the_lock_numbers_collide(staff, monkeypatch):
    ids = _pending(staff.pk)
    between = threading.Barrier(PEOPLE, timeout=30)

    def no_lock(queryset, **lookup):
        row = queryset.get(**lookup)  # no FOR UPDATE
        with contextlib.suppress(threading.BrokenBarrierError):
            between.wait()  # everyone has read the same last number
        return row

    monkeypatch.setattr(common, "lock_row", no_lock)

    _approved, errors = all_at_once(approve(staff.pk), ids)

    approved = Volunteer.objects.exclude(number=None).count()
    assert errors, "without the lock, approvals at the same moment must collide"
    assert approved < PEOPLE


# -- taking a help request: first one wins ------------------------------------------------------

TAKERS = 10


def _open_request_and_takers(staff):
    from tests.factories.households import HouseholdFactory
    from volunteers.services import help_request_create

    community = CommunityFactory()
    skill = SkillFactory(name="家电维修")
    takers = []
    for _ in range(TAKERS):
        volunteer = application(
            UserFactory(), skills=[(skill, "experienced")], communities=[community]
        )
        services.volunteer_approve(actor=staff, volunteer_id=volunteer.pk)
        takers.append(volunteer.user_id)
    household = HouseholdFactory(community=community)
    request = help_request_create(
        actor=staff, household_id=household.pk, skill_id=skill.pk, title="洗衣机不脱水", times=1
    )
    return request.pk, takers


def test_ten_volunteers_take_one_request_at_once_and_one_gets_it(staff):
    from volunteers.models import HelpRequest, HelpRequestLog

    request_id, takers = _open_request_and_takers(staff)

    won, errors = all_at_once(take_request(request_id), takers)

    assert errors == []
    assert won == 1
    assert HelpRequestLog.objects.filter(request_id=request_id, action="taken").count() == 1
    assert HelpRequest.objects.get(pk=request_id).volunteer.user_id in takers


def test_negative_control_without_the_lock_several_take_the_same_request(staff, monkeypatch):
    from volunteers.models import HelpRequestLog
    from volunteers.services import requests as request_services

    request_id, takers = _open_request_and_takers(staff)
    between = threading.Barrier(TAKERS, timeout=30)

    def no_lock(queryset, **lookup):
        row = queryset.get(**lookup)  # no FOR UPDATE
        with contextlib.suppress(threading.BrokenBarrierError):
            between.wait()  # everyone has seen the request open
        return row

    monkeypatch.setattr(request_services, "lock_row", no_lock)

    won, errors = all_at_once(take_request(request_id), takers)

    assert errors == []
    assert won > 1, "without the lock, several volunteers must be told they got it"
    assert HelpRequestLog.objects.filter(request_id=request_id, action="taken").count() == won


# -- slots of a shift: never more than the places -----------------------------------------------

RUSH = 20
PLACES = 5


def _shift_and_volunteers(staff):
    from events.choices import EventKind
    from tests.factories.events import event_create
    from volunteers.models import ShiftSlot

    community = CommunityFactory()
    skill = SkillFactory(name="家电维修")
    users = []
    for _ in range(RUSH):
        volunteer = application(
            UserFactory(), skills=[(skill, "experienced")], communities=[community]
        )
        services.volunteer_approve(actor=staff, volunteer_id=volunteer.pk)
        users.append(volunteer.user_id)
    event = event_create(kind=EventKind.VOLUNTEER, capacity=RUSH, party_size_max=1)
    services.shift_slots_set(actor=staff, event_id=event.pk, places={skill.pk: PLACES})
    return ShiftSlot.objects.get(event=event).pk, users


def test_twenty_volunteers_for_five_places_take_exactly_five(staff):
    from events.models import Signup
    from volunteers.models import SlotTaking

    slot_id, users = _shift_and_volunteers(staff)

    taken, errors = all_at_once(take_slot(slot_id), users)

    assert errors == []
    assert taken == PLACES
    assert SlotTaking.objects.filter(slot_id=slot_id, status="active").count() == PLACES
    assert Signup.objects.filter(slot_taking__slot_id=slot_id, status="confirmed").count() == PLACES


def test_negative_control_without_the_slot_lock_places_are_overtaken(staff, monkeypatch):
    from volunteers.models import SlotTaking
    from volunteers.services import shifts

    slot_id, users = _shift_and_volunteers(staff)
    between = threading.Barrier(RUSH, timeout=30)

    def no_lock(queryset, **lookup):
        row = queryset.get(**lookup)  # no FOR UPDATE
        with contextlib.suppress(threading.BrokenBarrierError):
            between.wait()  # everyone counts before anyone writes
        return row

    monkeypatch.setattr(shifts, "lock_row", no_lock)

    taken, errors = all_at_once(take_slot(slot_id), users)

    assert errors == []
    assert taken > PLACES, "without the lock, more volunteers than places must get in"
    assert SlotTaking.objects.filter(slot_id=slot_id, status="active").count() == taken
