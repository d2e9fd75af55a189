from __future__ import annotations

from celery import shared_task

from .sms import SmsError, SmsRateLimited

#: A welcome held back by the hourly SMS cap waits for the cap to reset, for up to two days.
CAP_RETRIES = 48


@shared_task(
    bind=True,
    autoretry_for=(SmsError, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def welcome_send(self, user_id: int) -> bool:
    """Welcome a new user. Idempotent: a second run sends nothing.

    A provider failure is retried with backoff; the hourly SMS cap is retried when it resets
    (the message waits instead of being lost)."""
    from .services import user_welcome_send

    try:
        return user_welcome_send(user_id=user_id)
    except SmsRateLimited as exc:
        raise self.retry(exc=exc, countdown=exc.retry_after, max_retries=CAP_RETRIES) from exc
