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


@shared_task(
    autoretry_for=(services.SignupRefused,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=20,
    acks_late=True,
)
def event_published_apply(event_id: int, revision_id: int) -> None:
    """What a publication means for the people with a place (``services.event_published``),
    when the editor's request could not get the seat lock. Safe to run twice: notices are owed
    once per revision, promotion moves only who fits."""
    services.event_published(event_id=event_id, revision_id=revision_id)
