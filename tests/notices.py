"""Helpers for tests of the outbox (core.notices): find what is owed, run a delivery job."""

from __future__ import annotations

from django.db import transaction

from accounts.services import WELCOME_KIND, WELCOME_TOPIC, user_welcome_owe
from core import delivery
from core.models import Notice


def welcome_notice(user_id: int) -> Notice | None:
    return Notice.objects.filter(topic=WELCOME_TOPIC, kind=WELCOME_KIND, object_id=user_id).first()


def welcome_run(user_id: int) -> str:
    """Owe the user's welcome (if nothing owed it yet) and run its delivery job now, as a worker
    would. Returns the notice's state afterwards ("sent" when the welcome is done)."""
    from accounts.models import User

    if welcome_notice(user_id) is None:
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            return "missing"
        with transaction.atomic():
            user_welcome_owe(user=user)
    return delivery.notice_deliver(notice_id=welcome_notice(user_id).pk)
