"""Events as iCalendar (RFC 5545): one event as an .ics download, and a feed of upcoming events
that phones and desktop calendars can subscribe to.

Times are written with ``TZID=Asia/Shanghai`` and the calendar carries that VTIMEZONE, so a
calendar app on a phone set to another zone still shows the right moment. The UID of an event
never changes (``event-<pk>@<site host>``) and SEQUENCE counts its publications, so a client
that imported or subscribed earlier updates the entry instead of adding a second one.
"""

from __future__ import annotations

import datetime
import zoneinfo
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from wagtail.models import PageLogEntry

from . import selectors
from .pages import EventIndexPage, EventPage

TZID = "Asia/Shanghai"
TZ = zoneinfo.ZoneInfo(TZID)
PRODID = "-//Qiaoxin//Events//ZH"
FEED_LIMIT = 200
CONTENT_TYPE = "text/calendar; charset=utf-8"
# The VTIMEZONE only needs to cover the years events are in; from 2000 keeps it to one
# observance (China has had no daylight saving time since 1991).
TZ_FIRST_DATE = datetime.date(2000, 1, 1)


def _uid_host() -> str:
    """The site's own host name, not the request's: the same event must keep the same UID
    whether it was fetched through the intranet address or the public name."""
    return urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or "qiaoxin.local"


def event_uid(event: EventPage) -> str:
    return f"event-{event.pk}@{_uid_host()}"


def _with_sequence(events: QuerySet[EventPage]) -> QuerySet[EventPage]:
    """Annotate ``publish_count`` (how often each event was published) in the same query."""
    publishes = (
        PageLogEntry.objects.filter(page_id=OuterRef("pk"), action="wagtail.publish")
        .order_by()
        .values("page_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return events.annotate(
        publish_count=Coalesce(Subquery(publishes, output_field=IntegerField()), 0)
    )


def _absolute_url(event: EventPage, request: HttpRequest) -> str:
    return request.build_absolute_uri(event.get_url(request=request))


def _vevent(event: EventPage, *, request: HttpRequest, stamp: datetime.datetime) -> icalendar.Event:
    url = _absolute_url(event, request)
    # The first publication is version 0; every later one (an edit, a cancellation) adds 1.
    sequence = max(getattr(event, "publish_count", 0) - 1, 0)
    summary = event.title
    lines = []
    if event.cancelled:
        summary = _("【已取消】%(title)s") % {"title": event.title}
        reason = event.cancel_reason.strip()
        lines.append(
            _("活动已取消：%(reason)s") % {"reason": reason} if reason else _("活动已取消。")
        )
    if event.summary:
        lines.append(event.summary)
    if event.community_id:
        lines.append(_("主办：%(name)s") % {"name": event.community.name})
    lines.append(_("详情与报名：%(url)s") % {"url": url})
    vevent = icalendar.Event.new(
        uid=event_uid(event),
        stamp=stamp,
        start=timezone.localtime(event.starts_at, TZ),
        end=timezone.localtime(event.ends_at, TZ),
        summary=summary,
        location=event.place,
        description="\n\n".join(lines),
        url=url,
        sequence=sequence,
        status="CANCELLED" if event.cancelled else "CONFIRMED",
        created=event.first_published_at,
        last_modified=event.last_published_at,
    )
    return vevent


def _calendar(*, name: str, uid: str, events: list[EventPage], request: HttpRequest) -> bytes:
    calendar = icalendar.Calendar.new(
        prodid=PRODID,
        calscale="GREGORIAN",
        method="PUBLISH",
        name=name,  # NAME and X-WR-CALNAME
        uid=uid,
        refresh_interval=datetime.timedelta(hours=1),
    )
    # Calendar.new() writes the name unescaped: as TEXT values, "," ";" and "\\" need escaping.
    calendar["NAME"] = icalendar.vText(name)
    calendar["X-WR-CALNAME"] = icalendar.vText(name)
    calendar.add("X-WR-TIMEZONE", TZID)
    calendar.add("X-PUBLISHED-TTL", "PT1H")  # the older name of REFRESH-INTERVAL (Outlook)
    stamp = timezone.now().astimezone(datetime.UTC).replace(microsecond=0)
    for event in events:
        calendar.add_component(_vevent(event, request=request, stamp=stamp))
    if not events:
        # An empty feed still names its zone, so subscribers keep X-WR-TIMEZONE consistent.
        calendar.add_component(icalendar.Timezone.from_tzid(TZID, first_date=TZ_FIRST_DATE))
    calendar.add_missing_timezones(first_date=TZ_FIRST_DATE)
    return calendar.to_ical()


def _filename(slug: str, fallback: str) -> str:
    return f"{slug or fallback}.ics"


def event_response(*, event: EventPage, request: HttpRequest) -> HttpResponse:
    """One event as an .ics download (for "add to my calendar")."""
    event = _with_sequence(EventPage.objects.filter(pk=event.pk).select_related("community")).get()
    body = _calendar(
        name=event.title,
        uid=f"calendar-event-{event.pk}@{_uid_host()}",
        events=[event],
        request=request,
    )
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, _filename(event.slug, f"event-{event.pk}")
    )
    return response


def feed_response(*, index: EventIndexPage, request: HttpRequest) -> HttpResponse:
    """Upcoming live events under ``index`` (soonest first, at most FEED_LIMIT) as a calendar
    feed. One query for the events whatever their number."""
    events = list(_with_sequence(selectors.event_list(parent=index, when="upcoming"))[:FEED_LIMIT])
    name = f"{settings.WAGTAIL_SITE_NAME} · {index.title}"
    body = _calendar(
        name=name, uid=f"events-{index.pk}@{_uid_host()}", events=events, request=request
    )
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        False, _filename(index.slug, "events")
    )
    response["Cache-Control"] = "public, max-age=900"
    return response
