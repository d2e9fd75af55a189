from __future__ import annotations

from celery import shared_task

from .sms import SmsError


@shared_task(
    autoretry_for=(SmsError, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def welcome_send(user_id: int) -> bool:
    """Welcome a new user. Idempotent: a second run sends nothing."""
    from .services import user_welcome_send

    return user_welcome_send(user_id=user_id)
