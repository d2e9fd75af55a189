"""A publication whose follow-up cannot get the seat lock: the page is published all the same,
and a job does the promotion and the notices a moment later."""

from __future__ import annotations

import pytest

from core.models import Notice
from events import services
from events.choices import NOTICE_TOPIC
from events.models import Signup
from events.pages import EventPage
from events.services import signup_create
from tests.factories import UserFactory
from tests.factories.events import event_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_jobs")]


def test_a_busy_seat_lock_delays_the_follow_up_of_a_publication_but_loses_nothing(
    monkeypatch, django_capture_on_commit_callbacks
):
    event = event_create(capacity=1, party_size_max=1)
    signup_create(event_id=event.pk, actor=UserFactory())
    waiting = signup_create(event_id=event.pk, actor=UserFactory())
    real = services.event_published
    calls = []

    def busy_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise services.SignupRefused("系统繁忙，请稍后再试。")
        return real(**kwargs)

    monkeypatch.setattr(services, "event_published", busy_once)
    page = EventPage.objects.get(pk=event.pk)
    page.capacity = 2
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()  # no error for the editor

    assert EventPage.objects.get(pk=event.pk).capacity == 2
    assert len(calls) == 2  # the request's try, then the job's
    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.CONFIRMED
    assert Notice.objects.filter(topic=NOTICE_TOPIC, kind="promoted", object_id=waiting.pk).exists()
