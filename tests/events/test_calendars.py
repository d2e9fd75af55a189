"""iCalendar output: one event as .ics, and the feed of upcoming events.

The responses are parsed back with icalendar, as a calendar app would read them. The functions
are called with a request from RequestFactory: they are what the page routes ``calendar/`` and
``feed/`` return.
"""

from __future__ import annotations

import datetime
import zoneinfo

import icalendar
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.calendars import event_response, feed_response
from tests.factories.events import event_create, events_index
from tests.factories.households import CommunityFactory

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
HOST = "qiaoxin.example.cn"


@pytest.fixture(autouse=True)
def _host(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]


def _request():
    return RequestFactory().get("/", HTTP_HOST=HOST)


def _parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content.decode("utf-8"))


def _at(year, month, day, hour, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def _mid_autumn(**fields):
    starts = timezone.now().astimezone(SHANGHAI).replace(microsecond=0, second=0)
    starts = starts.replace(hour=14, minute=30) + datetime.timedelta(days=10)
    values = {
        "title": "中秋茶话会",
        "summary": "一起赏月、吃月饼，欢迎侨眷家属参加。",
        "place": "侨联活动室（新华路 8 号）",
        "starts_at": starts,
    }
    values.update(fields)
    values.setdefault("ends_at", values["starts_at"] + datetime.timedelta(hours=2))
    return event_create(**values)


def _events_by_summary(calendar) -> dict[str, icalendar.Event]:
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_event_ics_has_one_event_in_chinese_with_shanghai_times():
    event = _mid_autumn()

    response = event_response(event=event, request=_request())

    assert response["Content-Disposition"] == f'attachment; filename="{event.slug}.ics"'
    calendar = _parse(response)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "中秋茶话会"
    assert calendar["X-WR-TIMEZONE"] == "Asia/Shanghai"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]

    (vevent,) = calendar.walk("VEVENT")
    assert vevent["SUMMARY"] == "中秋茶话会"
    assert vevent["LOCATION"] == "侨联活动室（新华路 8 号）"
    page_url = f"http://{HOST}{event.url}"
    assert (
        vevent["DESCRIPTION"] == f"一起赏月、吃月饼，欢迎侨眷家属参加。\n\n详情与报名：{page_url}"
    )
    assert vevent["URL"] == page_url
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent["UID"] == f"event-{event.pk}@127.0.0.1"
    assert vevent["SEQUENCE"] == 0
    assert "DTSTAMP" in vevent

    start, end = vevent["DTSTART"], vevent["DTEND"]
    assert start.params["TZID"] == "Asia/Shanghai"
    assert start.dt.tzinfo.key == "Asia/Shanghai"
    assert (start.dt.hour, start.dt.minute) == (14, 30)
    assert start.dt == event.starts_at
    assert end.dt == event.ends_at


def test_event_ics_folds_long_chinese_lines_and_keeps_the_text():
    summary = "侨眷之家" * 40  # 160 characters: 480 bytes of UTF-8
    event = _mid_autumn(summary=summary)

    response = event_response(event=event, request=_request())

    lines = response.content.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75  # RFC 5545 3.1: octets, not characters
    response.content.decode("utf-8")  # folding never splits a character
    (vevent,) = _parse(response).walk("VEVENT")
    assert str(vevent["DESCRIPTION"]).startswith(summary + "\n\n详情与报名：")


def test_uid_is_stable_and_sequence_counts_publications():
    event = _mid_autumn()
    (first,) = _parse(event_response(event=event, request=_request())).walk("VEVENT")

    event.place = "社区文化中心"
    event.save_revision().publish()
    event.refresh_from_db()
    (second,) = _parse(event_response(event=event, request=_request())).walk("VEVENT")

    assert second["UID"] == first["UID"]
    assert (first["SEQUENCE"], second["SEQUENCE"]) == (0, 1)
    assert second["LOCATION"] == "社区文化中心"


def test_a_cancelled_event_says_cancelled():
    event = _mid_autumn()
    event.cancelled = True
    event.cancel_reason = "台风预警"
    event.save_revision().publish()
    event.refresh_from_db()

    (vevent,) = _parse(event_response(event=event, request=_request())).walk("VEVENT")

    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["SUMMARY"] == "【已取消】中秋茶话会"
    assert str(vevent["DESCRIPTION"]).startswith("活动已取消：台风预警")
    assert vevent["SEQUENCE"] == 1


def test_feed_has_only_upcoming_live_events_soonest_first():
    now = timezone.now()
    later = _mid_autumn(title="重阳敬老宴", starts_at=now + datetime.timedelta(days=20))
    sooner = _mid_autumn(title="侨史讲座", starts_at=now + datetime.timedelta(days=3))
    # Started an hour ago, ends in an hour: still upcoming (people check in now).
    running = _mid_autumn(
        title="正在进行的座谈会",
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=1),
    )
    cancelled = _mid_autumn(title="春节联欢晚会", starts_at=now + datetime.timedelta(days=5))
    cancelled.cancelled = True
    cancelled.save_revision().publish()
    _mid_autumn(title="去年的茶话会", starts_at=now - datetime.timedelta(days=300))
    _mid_autumn(title="草稿活动", publish=False)
    unpublished = _mid_autumn(title="撤下的活动")
    unpublished.unpublish()

    response = feed_response(index=events_index(), request=_request())

    assert response["Content-Disposition"] == 'inline; filename="events.ics"'
    calendar = _parse(response)
    assert calendar["X-WR-CALNAME"] == "侨心 · 活动"
    assert calendar["X-WR-TIMEZONE"] == "Asia/Shanghai"
    assert calendar["METHOD"] == "PUBLISH"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    summaries = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
    assert summaries == ["正在进行的座谈会", "侨史讲座", "【已取消】春节联欢晚会", "重阳敬老宴"]
    events = _events_by_summary(calendar)
    assert events["【已取消】春节联欢晚会"]["STATUS"] == "CANCELLED"
    assert events["侨史讲座"]["STATUS"] == "CONFIRMED"
    assert events["侨史讲座"]["UID"] == f"event-{sooner.pk}@127.0.0.1"
    assert events["重阳敬老宴"]["DTSTART"].dt == later.starts_at.replace(microsecond=0)
    assert events["正在进行的座谈会"]["DTEND"].dt == running.ends_at.replace(microsecond=0)
    for vevent in calendar.walk("VEVENT"):
        assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"


def test_empty_feed_is_still_a_valid_calendar_with_its_zone():
    calendar = _parse(feed_response(index=events_index(), request=_request()))

    assert calendar.walk("VEVENT") == []
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]


def _feed_queries(count: int) -> int:
    now = timezone.now()
    for n in range(count):
        _mid_autumn(
            title=f"活动{n}",
            starts_at=now + datetime.timedelta(days=n + 1),
            community=CommunityFactory(name=f"社区{count}-{n}"),
        )
    index = events_index()
    request = _request()
    cache.clear()  # Wagtail caches the site's root paths: both runs start cold
    with CaptureQueriesContext(connection) as queries:
        calendar = _parse(feed_response(index=index, request=request))
    vevents = calendar.walk("VEVENT")
    assert len(vevents) >= count
    assert all("主办：社区" in str(vevent["DESCRIPTION"]) for vevent in vevents)
    return len(queries)


def test_feed_query_count_does_not_grow_with_events():
    with_two = _feed_queries(2)
    with_six = _feed_queries(4)  # 2 + 4 = 6 events in the feed now

    assert with_six == with_two
