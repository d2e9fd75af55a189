"""Service hours: logged against what was served, checked (no future, no empty or negative
span, at most 24 hours a day, no overlap), confirmed by staff or the household's group leader,
corrected with a reason, reversed but never deleted; proposals from a shift's check-in."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from events.choices import EventKind
from tests.factories import UserFactory
from tests.factories.events import event_create
from tests.factories.volunteers import volunteer_approved
from volunteers import selectors, services
from volunteers.models import HoursLog, ServiceHours
from volunteers.services import VolunteerRefused

pytestmark = pytest.mark.django_db


def at(days_ago: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@pytest.fixture
def served(world, staff, relative, skills):
    """李师傅 (repair, community A) took and did 王秀英's (hA1) washing-machine request."""
    helper = volunteer_approved(
        UserFactory(name="李师傅"),
        staff=staff,
        skills=[skills["repair"]],
        communities=[world.community_a],
    )
    request = services.help_request_create(
        actor=relative,
        household_id=world.hA1.pk,
        skill_id=skills["repair"].pk,
        title="洗衣机不脱水",
        times=1,
    )
    services.help_request_take(actor=helper.user, request_id=request.pk)
    services.help_request_done(actor=helper.user, request_id=request.pk)
    return helper, request


def _log(helper, request, start, end, what="修洗衣机"):
    return services.hours_log(
        actor=helper.user, started_at=start, ended_at=end, description=what, request_id=request.pk
    )


def test_logged_then_confirmed_by_the_households_group_leader_counts(served, group_leader):
    helper, request = served
    entry = _log(helper, request, at(1, 9), at(1, 11, 30))
    assert entry.hours == Decimal("2.50") and entry.status == ServiceHours.Status.LOGGED
    year = timezone.localdate(entry.started_at).year
    assert selectors.hours_total(helper, year=year) == 0

    services.hours_confirm(actor=group_leader, entry_id=entry.pk)

    assert selectors.hours_total(helper, year=year) == Decimal("2.50")
    assert [e.action for e in entry.log.all()] == ["logged", "confirmed"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (
            lambda: at(0, 0) + timedelta(days=1),
            lambda: at(0, 0) + timedelta(days=1, hours=2),
            "还没有发生",
        ),
        (lambda: at(1, 11), lambda: at(1, 9), "晚于开始时间"),
        (lambda: at(1, 9), lambda: at(1, 9), "晚于开始时间"),
        (lambda: at(3, 6), lambda: at(1, 6), "24 小时"),
    ],
    ids=["future", "negative", "zero", "more-than-a-day"],
)
def test_impossible_spans_are_refused(served, start, end, message):
    helper, request = served
    with pytest.raises(VolunteerRefused, match=message):
        _log(helper, request, start(), end())
    assert not ServiceHours.objects.exists()


def test_overlaps_and_more_than_24_hours_in_a_day_are_refused(served):
    helper, request = served
    _log(helper, request, at(2, 9), at(2, 11))
    with pytest.raises(VolunteerRefused, match="时间重叠"):
        _log(helper, request, at(2, 10), at(2, 12))
    _log(helper, request, at(3, 1), at(3, 23))  # 22 hours (a long day at a flood shelter)
    with pytest.raises(VolunteerRefused, match="超过 24 小时"):
        _log(helper, request, at(3, 23), at(3, 23) + timedelta(hours=4))
    assert ServiceHours.objects.count() == 2


def test_only_what_was_served_by_oneself_and_staff_for_other_service(
    served, skills, world, staff, relative
):
    helper, request = served
    other = volunteer_approved(
        UserFactory(name="别人"),
        staff=staff,
        skills=[skills["repair"]],
        communities=[world.community_a],
    )
    with pytest.raises(VolunteerRefused, match="自己接下"):
        _log(other, request, at(1, 9), at(1, 10))
    with pytest.raises(VolunteerRefused, match="请选择服务的互助需求"):
        services.hours_log(
            actor=helper.user, started_at=at(1, 9), ended_at=at(1, 10), description="x"
        )
    with pytest.raises(VolunteerRefused, match="服务队的成员"):
        services.hours_log(actor=relative, started_at=at(1, 9), ended_at=at(1, 10), description="x")
    entry = services.hours_log(
        actor=staff,
        volunteer_id=helper.pk,
        started_at=at(1, 14),
        ended_at=at(1, 16),
        description="侨之家值班",
    )
    assert entry.request is None and entry.logged_by == staff


def test_who_may_confirm(served, relative, outsider, committee_member, staff):
    """Not the volunteer, the household itself, someone outside, nor a committee member (who
    oversees but does not ask for households); staff, and the household's leaders (its group
    leader, its cadre), may."""
    helper, request = served
    entry = _log(helper, request, at(1, 9), at(1, 10))
    for person in (helper.user, relative, outsider, committee_member):
        with pytest.raises(PermissionDenied):
            services.hours_confirm(actor=person, entry_id=entry.pk)
    services.hours_confirm(actor=staff, entry_id=entry.pk)
    with pytest.raises(VolunteerRefused, match="已确认"):
        services.hours_confirm(actor=staff, entry_id=entry.pk)


def test_corrections_keep_history_and_confirmed_hours_are_only_reversed(served, staff):
    helper, request = served
    entry = _log(helper, request, at(1, 9), at(1, 10))
    with pytest.raises(VolunteerRefused, match="修改原因"):
        services.hours_correct(
            actor=helper.user,
            entry_id=entry.pk,
            started_at=at(1, 9),
            ended_at=at(1, 11),
            description="修洗衣机",
            reason="",
        )
    services.hours_correct(
        actor=helper.user,
        entry_id=entry.pk,
        started_at=at(1, 9),
        ended_at=at(1, 11),
        description="修洗衣机",
        reason="记错了结束时间",
    )
    entry.refresh_from_db()
    assert entry.hours == Decimal("2.00")
    corrected = HoursLog.objects.get(entry=entry, action="corrected")
    assert "记错了结束时间" in corrected.note and "1.00" in corrected.note

    services.hours_confirm(actor=staff, entry_id=entry.pk)
    with pytest.raises(VolunteerRefused, match="不能修改"):
        services.hours_correct(
            actor=staff,
            entry_id=entry.pk,
            started_at=at(1, 9),
            ended_at=at(1, 12),
            description="x",
            reason="y",
        )
    with pytest.raises(VolunteerRefused, match="冲销原因"):
        services.hours_reverse(actor=staff, entry_id=entry.pk, reason=" ")
    services.hours_reverse(actor=staff, entry_id=entry.pk, reason="重复登记")
    entry.refresh_from_db()
    assert entry.status == ServiceHours.Status.REVERSED  # kept, not deleted
    assert selectors.hours_total(helper, year=timezone.localdate(entry.started_at).year) == 0
    # the span is free again for a correct entry
    _log(helper, request, at(1, 9), at(1, 12))
    with pytest.raises(PermissionDenied):
        services.hours_reverse(actor=helper.user, entry_id=entry.pk, reason="x")


def test_a_shift_check_in_proposes_the_hours(world, staff, skills):
    helper = volunteer_approved(
        UserFactory(name="王医生"),
        staff=staff,
        skills=[skills["repair"]],
        communities=[world.community_a],
    )
    starts = timezone.now() - timedelta(hours=5)
    clinic = event_create(
        kind=EventKind.VOLUNTEER,
        capacity=5,
        party_size_max=1,
        starts_at=starts,
        signup_closes_at=starts - timedelta(hours=1),
    )
    services.shift_slots_set(actor=staff, event_id=clinic.pk, places={skills["repair"].pk: 2})
    slot = clinic.volunteer_slots.get()
    # the place was taken before the day (sign-ups close before the start)
    from events.models import Signup
    from volunteers.models import SlotTaking

    signup = Signup.objects.create(
        event=clinic, user=helper.user, name=helper.name, status="confirmed", party_size=1
    )
    taking = SlotTaking.objects.create(slot=slot, event=clinic, volunteer=helper, signup=signup)
    assert selectors.hours_proposals(helper) == []  # not checked in
    signup.checked_in_at = starts + timedelta(minutes=10)
    signup.save()

    [proposal] = selectors.hours_proposals(helper)
    assert proposal.taking == taking
    assert proposal.ended_at == clinic.ends_at and proposal.hours == Decimal("1.83")
    # checked out at the door: the proposal ends there
    signup.checked_out_at = starts + timedelta(minutes=70)
    signup.save()
    [proposal] = selectors.hours_proposals(helper)
    assert proposal.hours == Decimal("1.00")
    signup.checked_out_at = None
    signup.save()

    client_response = None
    from django.test import Client

    client = Client()
    client.force_login(helper.user)
    client_response = client.post(reverse("volunteers:hours_from_checkin", args=[taking.pk]))
    assert client_response.status_code == 302
    entry = ServiceHours.objects.get()
    assert entry.event == clinic and entry.hours == Decimal("1.83")
    assert selectors.hours_proposals(helper) == []


# -- screens ------------------------------------------------------------------------------------


def test_the_volunteer_logs_through_the_page_and_a_refusal_comes_back_filled_in(client, served):
    helper, request = served
    client.force_login(helper.user)
    page = client.get(reverse("volunteers:hours")).content.decode()
    assert "洗衣机不脱水" in page
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    data = {
        "source": f"r:{request.pk}",
        "day": day,
        "start": "11:00",
        "end": "09:00",
        "description": "换排水泵",
    }
    response = client.post(reverse("volunteers:hours"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "晚于开始时间" in html and "换排水泵" in html
    data["end"] = "12:15"
    assert client.post(reverse("volunteers:hours"), data).status_code == 302
    assert ServiceHours.objects.get().hours == Decimal("1.25")


def test_the_group_leader_confirms_on_their_page_and_staff_in_the_admin(client_for, served, staff):
    helper, request = served
    entry = _log(helper, request, at(1, 9), at(1, 10))
    leader = client_for("group_leader")
    page = leader.get(reverse("volunteers:hours_confirmations")).content.decode()
    assert "李师傅" in page
    leader.post(reverse("volunteers:hours_confirm", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.status == ServiceHours.Status.CONFIRMED

    admin = client_for("staff")
    listing = admin.get(reverse("volunteers_admin_hours") + "?tab=confirmed").content.decode()
    assert "李师傅" in listing
    admin.post(reverse("volunteers_admin_hours_reverse", args=[entry.pk]), {"reason": "重复"})
    entry.refresh_from_db()
    assert entry.status == ServiceHours.Status.REVERSED
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    response = admin.post(
        reverse("volunteers_admin_hours"),
        {
            "volunteer": helper.pk,
            "source": "other",
            "day": day,
            "start": "08:00",
            "end": "10:00",
            "description": "侨之家值班",
        },
    )
    assert response.status_code == 302
    assert ServiceHours.objects.filter(description="侨之家值班", logged_by=staff).exists()


def test_staff_correct_an_unconfirmed_entry_in_the_admin_with_a_reason(client_for, served):
    helper, request = served
    entry = _log(helper, request, at(1, 9), at(1, 10))
    admin = client_for("staff")
    url = reverse("volunteers_admin_hours_correct", args=[entry.pk])
    page = admin.get(url).content.decode()
    assert "修洗衣机" in page and "登记" in page
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    data = {"day": day, "start": "09:00", "end": "11:30", "description": "修洗衣机", "reason": ""}
    response = admin.post(url, data)
    assert response.status_code == 400 and "11:30" in response.content.decode()
    data["reason"] = "志愿者记错了时间"
    assert admin.post(url, data).status_code == 302
    entry.refresh_from_db()
    assert entry.hours == Decimal("2.50")
    assert "志愿者记错了时间" in admin.get(url).content.decode()
