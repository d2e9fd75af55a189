"""The notice outbox: every message the portal sends (in-site, SMS, email) goes through here.

The protocol (see README, "Messages: what is guaranteed"):

1. **Owe it in the same transaction.** The service that causes a message calls
   ``notice_create`` (or ``notice_new`` and ``notice_owed`` around an insert of its own) inside
   its own transaction: the ``Notice`` row commits with the change or not at all. After
   commit, the delivery job is enqueued; a failure to enqueue (broker down) is logged and never
   reaches the person, because the sweeper will find the row.
2. **Deliver each channel once.** The job (``core.tasks.notice_deliver``) asks the topic's
   handler what to send, then for each channel not yet sent: opens a transaction, locks the
   notice row, checks the channel is still unsent, sends it, marks it sent, commits. A second
   job for the same notice waits on the lock, then finds the channel marked.
3. **Find what was lost.** A beat job (``core.tasks.notices_sweep``, every 2 minutes) enqueues
   again every open notice whose ``next_attempt_at`` has passed: jobs lost with a killed worker,
   jobs never enqueued, failures waiting for their retry.
4. **Retry, then give up where staff can see it.** A channel that fails (provider down) leaves
   the others sent and is retried with back-off (1, 2, 4 … minutes, at most 6 hours apart);
   after ``core.delivery.MAX_ATTEMPTS`` the notice is marked failed and shown in the admin's
   未送达通知 list, where staff may send it again. Database errors are not failures of the
   notice: the job is retried by Celery with back-off, and the sweeper finds it if even that is
   lost.

What stays open is the gap no sender can close: a message the provider accepted just before the
process died, before the commit that marks it, is sent again. Exactly once on our side, at least
once at the provider's.

Apps plug in by registering a handler for their topic in ``AppConfig.ready``::

    notices.register("events.signup", SignupNotices())

A handler's ``plan(notice)`` returns a ``Delivery`` (the channels that reach the person now and
a ``send(channel)`` function), or None when the message no longer makes sense (the sign-up was
cancelled meanwhile). ``describe(notice)`` names it for staff.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from .delivery import (
    Delivery,
    DeliveryDeferred,
    NoticeHandler,
    handler_for,
    notice_describe,
    register,
    sweep_after,
)
from .locking import lock_row
from .models import Notice
from .tasks import notices_enqueue

__all__ = [
    "Delivery",
    "DeliveryDeferred",
    "NoticeHandler",
    "notice_create",
    "notice_describe",
    "notice_new",
    "notice_owed",
    "notice_retry",
    "notice_wake",
    "notices_create",
    "notices_discard",
    "register",
]

State = Notice.State


# -- writing notices -----------------------------------------------------------------------------


def notice_create(
    *,
    topic: str,
    kind: str,
    object_id: int,
    key: str = "",
    wake: bool = False,
    first: bool = False,
) -> Notice:
    """Owe one message, in the caller's transaction; its delivery is enqueued after commit.

    Idempotent: the same ``(topic, kind, object_id, key)`` is owed once, and asking again
    returns the row as it is (done or not). With ``wake=True`` a notice owed before and not
    delivered yet is put back in line (``notice_wake``): what the caller changed may let it go
    now (a number just verified). ``first=True`` says the object was created in the caller's
    transaction, so nothing can have been owed about it yet: one insert, no look-up (the
    unique constraint still refuses a second row).
    """
    if first:
        notice = notice_new(topic=topic, kind=kind, key=key)
        notice.object_id = object_id
        notice.save(force_insert=True)
        notice_owed(notice)
        return notice
    if handler_for(topic) is None:
        raise ValueError(f"no notice handler registered for {topic!r}")
    due = timezone.now() + sweep_after()
    with transaction.atomic():
        notice, created = Notice.objects.get_or_create(
            topic=topic, kind=kind, object_id=object_id, key=key, defaults={"next_attempt_at": due}
        )
    if created:
        _enqueue_on_commit([notice.pk])
    elif wake and notice.done_at is None:
        notice_wake(topic=topic, kind=kind, object_id=object_id, key=key)
    return notice


def notice_new(*, topic: str, kind: str, key: str = "") -> Notice:
    """A notice about an object the caller creates in its transaction, not saved yet: the
    caller inserts it with that object (``core.inserting.insert_together`` sets its
    ``object_id``), then calls ``notice_owed``. ``notice_create(first=True)`` in two steps, for
    a write that counts its round trips to the database under a row lock (a sign-up)."""
    if handler_for(topic) is None:
        raise ValueError(f"no notice handler registered for {topic!r}")
    return Notice(topic=topic, kind=kind, key=key, next_attempt_at=timezone.now() + sweep_after())


def notice_owed(notice: Notice) -> None:
    """``notice`` (from ``notice_new``) was inserted in the caller's transaction: enqueue its
    delivery after commit."""
    _enqueue_on_commit([notice.pk])


def notices_create(*, topic: str, kind: str, object_ids: Iterable[int], key: str = "") -> int:
    """Owe the same message about many objects (everyone with a place at a cancelled event):
    one insert, then one delivery job each after commit. Those already owed are left alone.
    Returns how many were new."""
    if handler_for(topic) is None:
        raise ValueError(f"no notice handler registered for {topic!r}")
    object_ids = sorted(set(object_ids))
    if not object_ids:
        return 0
    # No transaction of its own: the caller's (each statement is atomic anyway).
    existing = set(
        Notice.objects.filter(
            topic=topic, kind=kind, key=key, object_id__in=object_ids
        ).values_list("object_id", flat=True)
    )
    new = [object_id for object_id in object_ids if object_id not in existing]
    if not new:
        return 0
    due = timezone.now() + sweep_after()
    Notice.objects.bulk_create(
        [
            Notice(topic=topic, kind=kind, object_id=object_id, key=key, next_attempt_at=due)
            for object_id in new
        ],
        ignore_conflicts=True,
    )
    new_ids = list(
        Notice.objects.filter(
            topic=topic, kind=kind, key=key, object_id__in=new, done_at__isnull=True
        ).values_list("pk", flat=True)
    )
    _enqueue_on_commit(new_ids)
    return len(new_ids)


def notice_wake(*, topic: str, kind: str, object_id: int, key: str = "") -> bool:
    """Something the person did may have made a waiting notice deliverable (they verified their
    number): put it back in line. Returns False when there is no open notice to wake."""
    with transaction.atomic():
        updated = Notice.objects.filter(
            topic=topic, kind=kind, object_id=object_id, key=key, done_at__isnull=True
        ).update(
            state=State.PENDING,
            failed_at=None,
            next_attempt_at=timezone.now() + sweep_after(),
        )
        ids = list(
            Notice.objects.filter(
                topic=topic, kind=kind, object_id=object_id, key=key, done_at__isnull=True
            ).values_list("pk", flat=True)
        )
    _enqueue_on_commit(ids)
    return bool(updated)


def notices_discard(*, topic: str, object_ids: Iterable[int]) -> int:
    """Owe nothing any more about these objects: their open notices are closed as "no need to
    send" (the demo's made-up people must get no text). Jobs already enqueued find them done.
    Returns how many were closed."""
    return Notice.objects.filter(
        topic=topic, object_id__in=list(object_ids), done_at__isnull=True
    ).update(state=State.SKIPPED, done_at=timezone.now(), next_attempt_at=None)


def notice_retry(*, notice_id: int) -> Notice:
    """Staff's "send again" for a notice that failed or is stuck: its failures are forgotten and
    it is enqueued at once. Channels already sent stay sent."""
    with transaction.atomic():
        notice = lock_row(Notice.objects.all(), pk=notice_id)
        if notice.done_at is None:
            notice.state = State.PENDING
            notice.failed_at = None
            notice.attempts = 0
            notice.next_attempt_at = timezone.now() + sweep_after()
            notice.save(update_fields=["state", "failed_at", "attempts", "next_attempt_at"])
            _enqueue_on_commit([notice.pk])
    return notice


def _enqueue_on_commit(notice_ids: list[int]) -> None:
    if notice_ids:
        transaction.on_commit(lambda: notices_enqueue(notice_ids), robust=True)
