"""Jobs of the notice outbox: deliver one notice, and sweep up those whose job was lost."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import delivery

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=30,
    acks_late=True,
)
def notice_deliver(notice_id: int) -> str:
    """Deliver one notice on every channel due, each at most once (``core.delivery``).

    The database being away (a restart, a fail-over) is retried with back-off; should the retry
    be lost too, the sweeper finds the notice."""
    return delivery.notice_deliver(notice_id=notice_id)


@shared_task(acks_late=True)
def notices_sweep() -> int:
    """Beat job (every 2 minutes): enqueue again every open notice whose time has come."""
    ids = delivery.notices_due()
    if ids:
        logger.info("sweeper: %d open notices enqueued again", len(ids))
    return notices_enqueue(ids)


#: After the broker failed to take a job, this process leaves it alone this long: the notices
#: wait in the outbox for the sweeper. A broker that hangs instead of refusing would otherwise
#: cost every request that owes a notice the broker's whole timeout (and gunicorn kills a
#: request after 30 s: the person would see an error for a change that was saved).
BROKER_PAUSE_SECONDS = 30.0
_broker_paused_until = 0.0


def notices_enqueue(notice_ids: Iterable[int]) -> int:
    """Hand notices to the delivery job. Never raises: with the broker down the notices stay
    in the outbox and the sweeper enqueues them later. Returns how many were handed over.

    Once the broker fails, the rest of these and whatever this process owes in the next
    ``BROKER_PAUSE_SECONDS`` are left to the sweeper without trying."""
    global _broker_paused_until
    notice_ids = list(notice_ids)
    if notice_ids and time.monotonic() < _broker_paused_until:
        logger.warning(
            "%d notices not enqueued (the sweeper will): the broker failed moments ago",
            len(notice_ids),
        )
        return 0
    handed = 0
    for notice_id in notice_ids:
        try:
            notice_deliver.delay(notice_id)
        except Exception as exc:  # the broker or its connection (or an eager job's failure)
            logger.warning("notice %s not enqueued (the sweeper will): %s", notice_id, exc)
            if not notice_deliver.app.conf.task_always_eager:  # the broker's, not a job's
                _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
                break
        else:
            handed += 1
    return handed


def broker_pause_reset() -> None:
    """Forget a broker failure (tests that play an outage)."""
    global _broker_paused_until
    _broker_paused_until = 0.0
