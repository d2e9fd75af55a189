"""Edge cases found in review: pasted control characters, drafts, time zones, walk-ins,
calendar names."""

from __future__ import annotations

import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from events import services
from events.copying import event_copy_to_next_year
from events.models import Signup
from tests.factories.events import event_create, events_index
from tests.households.conftest import world  # noqa: F401

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_control_characters_pasted_into_answers_are_dropped_and_export_works(
    world,  # noqa: F811
    staff,
    client_for,
):
    event = event_create(questions=[{"label": "饮食禁忌", "kind": "text"}])
    question = str(event.questions.get().pk)
    # Word's soft line break (\x0b) and a NUL: .xlsx cannot hold them.
    services.signup_create(
        event_id=event.pk,
        member_id=world.mA1.pk,
        answers={question: "不吃辣\x0b少盐\x00"},
        actor=staff,
    )
    relative = client_for("relative")
    relative.post(event.url + "signup/", {"party_size": "1", f"q{question}": "多\x0b喝水\n谢谢"})

    answers = sorted(a[question] for a in Signup.objects.values_list("answers", flat=True))
    assert answers == ["不吃辣少盐", "多喝水\n谢谢"]
    response = client_for("staff").get(reverse("events_staff_signups_export", args=[event.pk]))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "不吃辣少盐" in values


def test_walk_in_names_lose_control_characters(staff):
    event = event_create()
    walk_in = services.walk_in_record(event=event, name=" 路\x0b人 ", actor=staff)
    assert walk_in.name == "路人"


def test_a_group_leader_cannot_cancel_on_an_unpublished_event(world, staff, client_for):  # noqa: F811
    event = event_create()
    signup = services.signup_create(event_id=event.pk, member_id=world.mA1.pk, actor=staff)
    event.unpublish()
    leader = client_for("group_leader")
    assert leader.get(reverse("events_staff_signups", args=[event.pk])).status_code == 404
    response = leader.post(reverse("events_staff_signup_cancel", args=[event.pk, signup.pk]))
    signup.refresh_from_db()
    assert response.status_code == 404 and signup.status == "confirmed"


def test_copy_keeps_shanghai_wall_clock_time_whatever_the_admin_zone(staff):
    start = datetime.datetime(2024, 3, 30, 15, 0, tzinfo=SHANGHAI)
    event = event_create(
        title="2024年活动", starts_at=start, ends_at=start + datetime.timedelta(hours=2)
    )
    with timezone.override("Europe/London"):  # a zone with summer time, unlike Shanghai
        copy = event_copy_to_next_year(event=event, actor=staff)
    assert copy.starts_at.astimezone(SHANGHAI) == datetime.datetime(
        2025, 3, 30, 15, 0, tzinfo=SHANGHAI
    )
    assert copy.title == "2025年活动"


def test_admin_times_are_in_the_site_zone_for_everyone(settings):
    assert settings.WAGTAIL_USER_TIME_ZONES == [settings.TIME_ZONE]


def test_undoing_a_walk_in_says_it_cannot(staff, client_for):
    event = event_create()
    walk_in = services.walk_in_record(event=event, name="路人", actor=staff)
    response = client_for("staff").post(
        reverse("events_checkin_undo", args=[event.pk, walk_in.pk]), follow=True
    )
    walk_in.refresh_from_db()
    assert walk_in.checked_in_at is not None
    messages = [str(m) for m in response.context["messages"]]
    assert any("现场登记的，不能撤销签到" in m for m in messages), messages


def test_calendar_name_is_escaped_as_ical_text():
    from events.calendars import feed_response

    index = events_index()
    index.title = "活动, 聚会;日历"
    index.save()
    event_create()
    body = feed_response(index=index, request=RequestFactory().get("/")).content.decode()
    calname = next(line for line in body.splitlines() if line.startswith("X-WR-CALNAME:"))
    assert calname.endswith("活动\\, 聚会\\;日历")
