"""Reads on accounts."""

from __future__ import annotations

import time

from django.http import HttpRequest

from .models import Message, User

#: How long after a login by SMS/email code a new password may be set without the old one.
CODE_LOGIN_GRACE_SECONDS = 15 * 60


def user_recently_logged_in_by_code(*, request: HttpRequest, user: User) -> bool:
    """True when this session logged ``user`` in with a one-time code in the last 15 minutes:
    the code proved the phone (or mailbox) is theirs, as a reset link would."""
    # allauth keeps a log of this session's authentications; it has no public accessor.
    from allauth.account.internal.flows.login import get_authentication_records

    now = time.time()
    return any(
        record.get("method") == "code" and now - record.get("at", 0) <= CODE_LOGIN_GRACE_SECONDS
        for record in get_authentication_records(request, user)
    )


def messages_recent(*, user: User, limit: int = 20) -> list[Message]:
    """The user's newest messages (newest first), for "my page"."""
    return list(Message.objects.filter(user=user).order_by("-created_at", "-pk")[:limit])


def messages_unread_count(*, user: User) -> int:
    return Message.objects.filter(user=user, read_at__isnull=True).count()
