"""Celery tasks of the events app: they take ids, call a service and may run twice safely."""

from __future__ import annotations

from celery import shared_task

from accounts.sms import SmsError


@shared_task(
    autoretry_for=(SmsError, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
    acks_late=True,
)
def signup_notice_send(signup_id: int, kind: str, key: str = "") -> bool:
    """Send one notice about one sign-up on every channel, each at most once."""
    from .notifications import signup_notice_deliver

    return signup_notice_deliver(signup_id=signup_id, kind=kind, key=key)


@shared_task(acks_late=True)
def event_reminders_send() -> int:
    """Beat job (every 10 minutes): queue a reminder for each confirmed sign-up of an event that
    starts within 24 hours and has no reminder notice yet. A reminder still waiting in the queue
    may be queued again by the next run; ``signup_notice_send`` sends it once all the same."""
    from .models import SignupNotice
    from .notifications import reminder_due_signup_ids

    signup_ids = reminder_due_signup_ids()
    for signup_id in signup_ids:
        signup_notice_send.delay(signup_id, SignupNotice.Kind.REMINDER.value, "")
    return len(signup_ids)
