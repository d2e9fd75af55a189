"""``manage.py seed_demo`` and its events part (events/demo.py) on a small register."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts import sms
from accounts.models import Message, User
from core.models import Notice
from events import services
from events.models import EventSeats, Signup, SignupLog
from events.pages import Audience, EventIndexPage, EventKind, EventPage, EventQuestion
from events.selectors import event_figures
from portal.models import HomePage

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", households=20, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (
        EventIndexPage.objects.count(),
        EventPage.objects.count(),
        EventQuestion.objects.count(),
        Signup.objects.count(),
        SignupLog.objects.count(),
    )


def test_seeding_twice_creates_nothing_new_and_tells_nobody(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = seed()
    after_first = counts()
    second = seed()

    assert counts() == after_first
    assert "events: 17 events created" in first
    assert "events: demo events already there (17 events)" in second
    index = EventIndexPage.objects.get()
    assert (index.title, index.slug, index.live) == ("活动", "events", True)
    assert index.get_parent().specific_class is HomePage
    assert EventPage.objects.child_of(index).live().count() == EventPage.objects.count()
    # the demo's sign-ups send no SMS, email or in-site message: what it owed is closed unsent
    assert Notice.objects.exists()
    assert not Notice.objects.filter(done_at__isnull=True).exists()
    assert not Notice.objects.exclude(state=Notice.State.SKIPPED).exists()
    assert Message.objects.count() == 0
    assert sms.outbox == []
    assert mail.outbox == []
    # the seat counts agree with the sign-ups, also where the demo wrote them in bulk
    for event in EventPage.objects.all():
        assert services.event_seats_recount(event_id=event.pk) is False
    assert EventSeats.objects.count() == EventPage.objects.count()


def test_the_demo_year_of_events():
    seed()
    now = timezone.now()
    events = list(EventPage.objects.prefetch_related("audience_communities", "questions"))
    figures = event_figures([event.pk for event in events])
    past = [event for event in events if event.ends_at <= now]
    upcoming = [event for event in events if event.starts_at > now]

    assert 15 <= len(events) <= 20
    assert len(past) >= 8 and len(upcoming) >= 3
    for event in events:
        assert now - timedelta(days=310) < event.starts_at < now + timedelta(days=95)
        assert 30 <= event.capacity <= 200 and 1 <= event.party_size_max <= 4
        assert figures[event.pk].confirmed <= event.capacity, event.title
    titles = [event.title for event in events]
    assert sum("健康讲座" in title for title in titles) == 2
    assert sum("留学生家长经验分享会" in title for title in titles) in (1, 2)
    kinds = {event.kind for event in events}
    assert {EventKind.TEA_PARTY, EventKind.STUDY_TOUR, EventKind.GALA} <= kinds
    assert any(event.community_id for event in events)

    # an upcoming event is full and has a waiting list
    full = [
        event
        for event in upcoming
        if figures[event.pk].confirmed == event.capacity
        and figures[event.pk].waitlisted_signups >= 3
    ]
    assert len(full) == 1
    # past events: ~80% of confirmed sign-ups checked in, a few walk-ins
    confirmed = Signup.objects.filter(event__in=past, status=Signup.Status.CONFIRMED)
    for event in past:
        assert confirmed.filter(event=event, checked_in_at__isnull=False).exists(), event.title
    share = confirmed.filter(checked_in_at__isnull=False).count() / confirmed.count()
    assert 0.7 < share < 0.9
    walk_ins = Signup.objects.filter(event__in=past, status=Signup.Status.WALK_IN)
    assert walk_ins.count() >= len(past)
    assert not walk_ins.filter(checked_in_at__isnull=True).exists()
    assert not Signup.objects.filter(event__in=upcoming, checked_in_at__isnull=False).exists()
    # every sign-up has its audit trail, dated like the sign-up
    assert not Signup.objects.filter(logs__isnull=True).exists()
    for signup in Signup.objects.filter(event__in=past).exclude(status=Signup.Status.WALK_IN)[:50]:
        created = signup.logs.get(action=SignupLog.Action.CREATE)
        assert created.at == signup.created_at < signup.event.starts_at

    # audiences: chosen communities, registered relatives only
    chosen = next(event for event in events if event.audience == Audience.COMMUNITIES)
    allowed = {community.pk for community in chosen.audience_communities.all()}
    assert allowed
    people = Signup.objects.filter(event=chosen).exclude(status=Signup.Status.WALK_IN)
    assert people.exists()
    assert set(people.values_list("member__household__community", flat=True)) <= allowed
    relatives_only = next(event for event in events if event.audience == Audience.RELATIVES)
    assert not Signup.objects.filter(event=relatives_only, member__isnull=True).exists()
    # questions of each kind, answered
    questions = {(q.label, q.kind) for event in events for q in event.questions.all()}
    assert ("饮食禁忌", EventQuestion.Kind.TEXT) in questions
    assert ("是否需要接送", EventQuestion.Kind.YES_NO) in questions
    assert ("场次", EventQuestion.Kind.CHOICE) in questions
    assert Signup.objects.exclude(answers={}).exists()

    # the demo relative: one event attended, one ahead with a confirmed place
    relative = User.objects.get(username="demo_relative")
    theirs = Signup.objects.filter(user=relative).select_related("event")
    assert [s.event.is_past for s in theirs if s.checked_in_at] == [True]
    ahead = [s for s in theirs if not s.event.is_past]
    assert [s.status for s in ahead] == [Signup.Status.CONFIRMED]


def test_the_event_pages_of_the_demo_render(client):
    seed()
    client.force_login(User.objects.get(username="demo_relative"))
    assert client.get("/events/").status_code == 200
    assert client.get("/events/?when=past").status_code == 200
    for event in EventPage.objects.all()[:5]:
        response = client.get(event.url)
        assert response.status_code == 200
        assert event.place in response.content.decode()
