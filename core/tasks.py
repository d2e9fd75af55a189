"""Jobs of the notice outbox: deliver one notice, and sweep up those whose job was lost."""

from __future__ import annotations

import logging
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


def notices_enqueue(notice_ids: Iterable[int]) -> int:
    """Hand notices to the delivery job. Never raises: with the broker down the notices stay
    in the outbox and the sweeper enqueues them later. Returns how many were handed over."""
    handed = 0
    for notice_id in notice_ids:
        try:
            notice_deliver.delay(notice_id)
        except Exception as exc:  # the broker or its connection (or an eager job's failure)
            logger.warning("notice %s not enqueued (the sweeper will): %s", notice_id, exc)
        else:
            handed += 1
    return handed
