"""The outbox (core.notices, core.delivery): owed in the causing transaction, each channel sent
once, retried with back-off, swept up when its job is lost, given up where staff see it."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from core import delivery, notices
from core.delivery import Delivery, DeliveryDeferred
from core.models import Notice
from core.tasks import notice_deliver, notices_sweep

pytestmark = pytest.mark.django_db

TOPIC = "tests.outbox"


class Recorder:
    """A handler that sends to a list, with channels and failures the test sets."""

    def __init__(self):
        self.sent: list[tuple[int, str]] = []
        self.channels = ["site", "sms"]
        self.fail: dict[str, Exception] = {}
        self.waiting = False
        self.wanted = True

    def plan(self, notice):
        if not self.wanted:
            return None

        def send(channel):
            if channel in self.fail:
                raise self.fail[channel]
            self.sent.append((notice.object_id, channel))

        return Delivery(channels=list(self.channels), send=send, waiting=self.waiting)

    def describe(self, notice):
        return f"test notice {notice.object_id}"


@pytest.fixture
def handler():
    recorder = Recorder()
    notices.register(TOPIC, recorder)
    yield recorder
    delivery._handlers.pop(TOPIC, None)


def owe(object_id=1, kind="hello", key="") -> Notice:
    with transaction.atomic():
        return notices.notice_create(topic=TOPIC, kind=kind, object_id=object_id, key=key)


def run(notice: Notice) -> str:
    return delivery.notice_deliver(notice_id=notice.pk)


def test_a_notice_is_owed_with_the_change_or_not_at_all(
    handler, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        notices.notice_create(topic=TOPIC, kind="hello", object_id=1)
        raise ZeroDivisionError  # the change that caused it fails
    assert not Notice.objects.exists()
    assert callbacks == []  # nothing enqueued either


def test_owing_twice_owes_once(handler):
    first = owe()
    again = owe()
    assert first.pk == again.pk
    assert Notice.objects.count() == 1
    assert notices.notices_create(topic=TOPIC, kind="hello", object_ids=[1, 2, 2, 3]) == 2
    assert Notice.objects.count() == 3


def test_a_first_notice_about_a_new_object_is_one_insert(handler, django_assert_num_queries):
    with transaction.atomic(), django_assert_num_queries(1):
        notices.notice_create(topic=TOPIC, kind="hello", object_id=9, first=True)
    with pytest.raises(IntegrityError), transaction.atomic():  # still owed once only
        notices.notice_create(topic=TOPIC, kind="hello", object_id=9, first=True)


def test_an_unknown_topic_is_refused():
    with pytest.raises(ValueError, match="no notice handler"):
        notices.notice_create(topic="nobody.listens", kind="x", object_id=1)
    with pytest.raises(ValueError, match="no notice handler"):
        notices.notice_new(topic="nobody.listens", kind="x")


def test_each_channel_goes_once_and_the_notice_is_done(handler):
    notice = owe()
    assert run(notice) == Notice.State.SENT
    assert run(notice) == Notice.State.SENT
    assert handler.sent == [(1, "site"), (1, "sms")]
    notice.refresh_from_db()
    assert notice.done_at and notice.site_sent_at and notice.sms_sent_at
    assert notice.next_attempt_at is None


def test_a_failed_channel_is_retried_alone_with_back_off(handler):
    handler.fail["sms"] = OSError("provider down")
    notice = owe()
    assert run(notice) == Notice.State.PENDING
    notice.refresh_from_db()
    assert notice.site_sent_at and not notice.sms_sent_at
    assert notice.attempts == 1 and "provider down" in notice.last_error
    assert timedelta(seconds=50) < notice.next_attempt_at - timezone.now() <= timedelta(minutes=1)

    del handler.fail["sms"]
    assert run(notice) == Notice.State.SENT
    assert handler.sent == [(1, "site"), (1, "sms")]


def test_back_off_doubles_up_to_six_hours():
    assert [delivery.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert delivery.backoff(20) == timedelta(hours=6)


def test_after_too_many_failures_it_is_given_up_and_listed_for_staff(handler):
    handler.fail["sms"] = OSError("provider down")
    notice = owe()
    for _ in range(delivery.MAX_ATTEMPTS):
        run(notice)
    notice.refresh_from_db()
    assert notice.state == Notice.State.FAILED
    assert notice.failed_at is not None and notice.next_attempt_at is None
    assert list(Notice.objects.undelivered()) == [notice]
    assert delivery.notices_due(now=timezone.now() + timedelta(days=1)) == []  # not swept

    # staff send it again once the provider is back: the site message does not go twice
    del handler.fail["sms"]
    with transaction.atomic():
        notices.notice_retry(notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.attempts == 0 and notice.failed_at is None
    assert run(notice) == Notice.State.SENT
    assert handler.sent.count((1, "site")) == 1
    assert handler.sent.count((1, "sms")) == 1
    assert not Notice.objects.undelivered().exists()


def test_a_deferral_waits_without_counting_as_a_failure(handler):
    handler.fail["sms"] = DeliveryDeferred("hourly cap", retry_after=600)
    notice = owe()
    assert run(notice) == Notice.State.PENDING
    notice.refresh_from_db()
    assert notice.attempts == 0
    assert timedelta(seconds=590) < notice.next_attempt_at - timezone.now() <= timedelta(minutes=10)


def test_a_notice_that_is_no_longer_wanted_is_closed_unsent(handler):
    handler.wanted = False
    notice = owe()
    assert run(notice) == Notice.State.SKIPPED
    assert handler.sent == []


def test_nobody_to_reach_is_closed_unsent(handler):
    handler.channels = []
    assert run(owe()) == Notice.State.SKIPPED


def test_a_waiting_notice_is_parked_until_woken(handler):
    handler.channels, handler.waiting = [], True
    notice = owe()
    assert run(notice) == Notice.State.WAITING
    notice.refresh_from_db()
    assert notice.next_attempt_at is None and notice.done_at is None
    assert delivery.notices_due(now=timezone.now() + timedelta(days=3)) == []

    handler.channels, handler.waiting = ["sms"], False  # the person verified their number
    with transaction.atomic():
        assert notices.notice_wake(topic=TOPIC, kind="hello", object_id=1) is True
    notice.refresh_from_db()
    assert notice.state == Notice.State.PENDING and notice.next_attempt_at is not None
    assert run(notice) == Notice.State.SENT
    assert handler.sent == [(1, "sms")]


def test_the_sweeper_finds_lost_jobs_and_leaves_them_a_while(handler, monkeypatch):
    lost = owe(1)  # its job was lost: never delivered
    done = owe(2)
    run(done)
    assert delivery.notices_due() == []  # too early: its own job may still come
    later = timezone.now() + timedelta(seconds=181)
    assert delivery.notices_due(now=later) == [lost.pk]
    assert delivery.notices_due(now=later) == []  # handed over; not again for 5 minutes
    assert delivery.notices_due(now=later + timedelta(minutes=6)) == [lost.pk]

    enqueued = []
    monkeypatch.setattr(notice_deliver, "delay", lambda notice_id: enqueued.append(notice_id))
    Notice.objects.filter(pk=lost.pk).update(next_attempt_at=timezone.now())
    assert notices_sweep.apply().get() == 1
    assert enqueued == [lost.pk]


def test_the_broker_being_down_loses_nothing(
    handler, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notice_deliver, "delay", broker_down)
    with (
        caplog.at_level(logging.WARNING, logger="core.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notice = owe()  # the caller is not told: its change committed
    assert "not enqueued (the sweeper will)" in caplog.text
    notice.refresh_from_db()
    assert notice.done_at is None and notice.next_attempt_at is not None
    monkeypatch.undo()
    assert delivery.notices_due(now=timezone.now() + timedelta(minutes=4)) == [notice.pk]


def test_a_database_error_is_the_job_s_to_retry_not_a_failure_of_the_notice(handler):
    """The database going away mid-delivery is raised (the task retries it with back-off); the
    notice records no failed attempt."""
    notice = owe()
    handler.fail["sms"] = OperationalError("server closed the connection unexpectedly")
    with pytest.raises(OperationalError):
        run(notice)
    notice.refresh_from_db()
    assert notice.attempts == 0 and notice.site_sent_at and not notice.sms_sent_at


def test_the_job_retries_database_errors_by_itself(handler, monkeypatch, eager_jobs):
    notice = owe()
    calls = []
    real_plan = handler.plan

    def flaky_plan(n):
        calls.append(n)
        if len(calls) == 1:
            raise OperationalError("the database system is starting up")
        return real_plan(n)

    monkeypatch.setattr(handler, "plan", flaky_plan)
    monkeypatch.setattr(notice_deliver, "retry_backoff", False)  # no sleeping in the test
    # throw=False: the eager run follows Celery's retry as a worker would.
    assert notice_deliver.apply(args=[notice.pk], throw=False).get() == Notice.State.SENT
    assert len(calls) == 2
    assert notice_deliver.autoretry_for == (
        OperationalError,
        __import__("django").db.InterfaceError,
    )


def test_descriptions_come_from_the_handler(handler):
    notice = owe(7)
    assert notices.notice_describe(notice) == "test notice 7"
    orphan = Notice.objects.create(topic="gone.app", kind="x", object_id=3)
    assert notices.notice_describe(orphan) == "gone.app:x #3"


def test_after_a_broker_failure_the_process_leaves_it_to_the_sweeper(
    handler, monkeypatch, django_capture_on_commit_callbacks
):
    """A broker that hangs would cost every request its timeout: after one failure this process
    stops trying for a while (the notices wait in the outbox)."""
    from core.tasks import notices_enqueue

    attempts = []

    def broker_down(*args, **kwargs):
        attempts.append(args)
        raise BrokerDown("timed out")

    monkeypatch.setattr(notice_deliver, "delay", broker_down)
    monkeypatch.setitem(notice_deliver.app.conf, "task_always_eager", False)
    with django_capture_on_commit_callbacks(execute=True):
        for object_id in range(5):
            owe(object_id)
    assert len(attempts) == 1  # one try, then the sweeper's job
    assert notices_enqueue([1, 2]) == 0 and len(attempts) == 1
    assert Notice.objects.filter(done_at__isnull=True).count() == 5
