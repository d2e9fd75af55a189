"""Celery tasks of the events app: they take ids, call a service and may run twice safely.

The notices themselves are delivered by ``core.tasks.notice_deliver`` (the outbox)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def event_reminders_send() -> int:
    """Beat job (every 10 minutes): owe a reminder to each confirmed sign-up of an event that
    starts within 24 hours and has none yet; the outbox delivers them. Running it twice owes
    nothing twice."""
    return services.reminders_create()
