"""Delivering notices of the outbox: the handler registry and the send-once protocol.

The whole protocol is described in ``core.notices``; this module is what the job runs
(``core.tasks.notice_deliver``) and what the sweeper reads. It enqueues nothing itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from .locking import LockBusy, lock_row
from .models import Notice

logger = logging.getLogger(__name__)

State = Notice.State

#: Failures (not counting deferrals) before a notice is given up and shown to staff.
MAX_ATTEMPTS = 10
#: The longest wait between two tries.
MAX_BACKOFF = timedelta(hours=6)
#: A deferred notice (an hourly SMS cap) waits at most this long before it counts as failed.
MAX_DEFERRAL_AGE = timedelta(days=2)


def sweep_after() -> timedelta:
    """How long a new notice is left to its own job before the sweeper looks at it."""
    return timedelta(seconds=getattr(settings, "NOTICE_SWEEP_AFTER_SECONDS", 180))


class DeliveryDeferred(Exception):
    """Not a failure: the channel cannot go now and should be tried after ``retry_after``
    seconds (a provider's hourly cap). Deferrals do not count as attempts."""

    def __init__(self, message: str = "", *, retry_after: int = 60):
        self.retry_after = max(1, int(retry_after))
        super().__init__(message or f"deferred for {self.retry_after}s")


@dataclass
class Delivery:
    """What a handler says about one notice, now."""

    #: Channels that can reach the person now ("site", "sms", "email").
    channels: list[str]
    #: Sends one channel; raises on failure (the channel stays unsent).
    send: Callable[[str], None]
    #: True when a channel may become due later through something only the person can do
    #: (verify their number): the notice then stays open, parked, until ``notice_wake``.
    waiting: bool = False
    extra: dict = field(default_factory=dict)


class NoticeHandler(Protocol):
    def plan(self, notice: Notice) -> Delivery | None: ...

    def describe(self, notice: Notice) -> str: ...


_handlers: dict[str, NoticeHandler] = {}


def register(topic: str, handler: NoticeHandler) -> None:
    """Make ``handler`` deliver the notices of ``topic`` (call from ``AppConfig.ready``)."""
    _handlers[topic] = handler


def handler_for(topic: str) -> NoticeHandler | None:
    return _handlers.get(topic)


def notice_describe(notice: Notice) -> str:
    handler = handler_for(notice.topic)
    if handler is None:
        return str(notice)
    try:
        return handler.describe(notice)
    except Exception:  # a description must never break the staff list
        logger.exception("describing notice %s failed", notice.pk)
        return str(notice)


# -- delivering ---------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the ``attempts``-th failure, at most ``MAX_BACKOFF``."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass
class _Outcome:
    sent: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    deferred: int = 0  # seconds
    busy: bool = False


def notice_deliver(*, notice_id: int) -> str:
    """Deliver one notice: every channel due, each at most once. Returns the notice's state.

    Meant for the worker, outside any transaction: each channel commits on its own. Database
    errors propagate (the job retries them); a channel's own failure is recorded on the notice
    and retried later.
    """
    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None:
        return "missing"
    if notice.done_at is not None or notice.failed_at is not None:
        return notice.state
    handler = handler_for(notice.topic)
    if handler is None:
        logger.error("notice %s: no handler for topic %r", notice.pk, notice.topic)
        return notice.state
    delivery = handler.plan(notice)
    if delivery is None:
        _settle(notice_id, _Outcome(), due=[], waiting=False, skipped=True)
        return State.SKIPPED
    due = [channel for channel in delivery.channels if not notice.sent_at(channel)]
    outcome = _Outcome()
    for channel in due:
        _deliver_channel(notice, channel, delivery, outcome)
    return _settle(
        notice_id,
        outcome,
        due=delivery.channels,
        waiting=delivery.waiting,
        skipped=not delivery.channels and not delivery.waiting,
    )


def _deliver_channel(notice: Notice, channel: str, delivery: Delivery, outcome: _Outcome) -> None:
    field_name = f"{channel}_sent_at"
    try:
        with transaction.atomic():
            locked = lock_row(Notice.objects.all(), pk=notice.pk)
            if locked.sent_at(channel) is not None or locked.done_at is not None:
                return  # another job got here first
            delivery.send(channel)
            setattr(locked, field_name, timezone.now())
            locked.save(update_fields=[field_name])
    except LockBusy:
        # Another job holds the row while it sends (a slow mail server): it will mark this
        # channel, or fail and leave it to the next try.
        outcome.busy = True
    except DatabaseError:
        raise
    except DeliveryDeferred as exc:
        logger.info("notice %s by %s deferred %ss: %s", notice.pk, channel, exc.retry_after, exc)
        outcome.deferred = max(outcome.deferred, exc.retry_after)
    except Exception as exc:
        logger.warning("notice %s (%s) by %s failed: %r", notice.pk, notice.kind, channel, exc)
        outcome.errors.append(f"{channel}: {exc}"[:140])
    else:
        outcome.sent.append(channel)
        logger.info("notice %s (%s:%s) sent by %s", notice.pk, notice.topic, notice.kind, channel)


def _settle(notice_id: int, outcome: _Outcome, *, due: list[str], waiting: bool, skipped: bool):
    """Write down what the run achieved, under the row lock."""
    now = timezone.now()
    with transaction.atomic():
        try:
            notice = lock_row(Notice.objects.all(), pk=notice_id)
        except LockBusy:
            return State.PENDING  # the other job settles it
        except Notice.DoesNotExist:
            return "missing"
        if notice.done_at is not None:
            return notice.state
        fields = ["state", "next_attempt_at", "done_at", "failed_at", "attempts", "last_error"]
        unsent = [channel for channel in due if notice.sent_at(channel) is None]
        if outcome.errors:
            notice.attempts += 1
            notice.last_error = "; ".join(outcome.errors)[:300]
            if notice.attempts >= MAX_ATTEMPTS:
                notice.state, notice.failed_at, notice.next_attempt_at = State.FAILED, now, None
                logger.error("notice %s given up after %d attempts", notice.pk, notice.attempts)
            else:
                notice.state = State.PENDING
                notice.next_attempt_at = now + backoff(notice.attempts)
        elif outcome.deferred:
            if now - notice.created_at > MAX_DEFERRAL_AGE:
                notice.state, notice.failed_at, notice.next_attempt_at = State.FAILED, now, None
                notice.last_error = "deferred for too long"
            else:
                notice.state = State.PENDING
                notice.next_attempt_at = now + timedelta(seconds=outcome.deferred)
        elif outcome.busy or unsent:
            return notice.state  # another job is on it (or settles it); the sweeper backs it up
        elif waiting:
            notice.state, notice.next_attempt_at = State.WAITING, None
        else:
            notice.state = State.SKIPPED if skipped and not notice.sent_channels else State.SENT
            notice.done_at, notice.next_attempt_at = now, None
        notice.save(update_fields=fields)
        return notice.state


# -- sweeping -----------------------------------------------------------------------------------


#: After enqueueing a notice again, the sweeper leaves it this long before the next time.
SWEEP_REQUEUE = timedelta(minutes=5)
SWEEP_BATCH = 2000


def notices_due(*, now=None) -> list[int]:
    """Open notices whose time has come (lost jobs, notices never enqueued, retries due), oldest
    first, each left alone for ``SWEEP_REQUEUE`` from now on: a backlog in the broker is not a
    lost job. The caller enqueues them."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notice.objects.filter(
                done_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now
            )
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        Notice.objects.filter(pk__in=ids).update(next_attempt_at=now + SWEEP_REQUEUE)
    return ids
