"""Delivering the welcome: the accounts app's handler for the outbox (``core.notices``).

A user is welcomed once, by SMS and/or email:

- a user with a phone number is welcomed once that number is verified (a text goes only to a
  number its owner has proved, never to whatever was typed at sign-up); until then nothing is
  sent and the notice waits (verifying the number wakes it);
- the mail goes only to a confirmed address (anyone can type anyone's address at sign-up);
  until it is confirmed the email channel waits (confirming it wakes the notice);
- each channel is sent and marked on its own (the outbox's protocol), so a retry after a failed
  email does not text again.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.utils.translation import gettext as _

from core.delivery import Delivery
from core.models import Notice

from .models import User
from .services import welcome_mail_send, welcome_sms_text
from .sms import SmsPurpose, send_sms, sms_number_allowed


def _email_verified(user: User) -> bool:
    return EmailAddress.objects.filter(
        user_id=user.pk, email__iexact=user.email, verified=True
    ).exists()


class WelcomeNotices:
    """Handler for the topic ``accounts.welcome`` (registered in apps.py)."""

    def plan(self, notice: Notice) -> Delivery | None:
        user = User.objects.filter(pk=notice.object_id, is_active=True).first()
        if user is None:
            return None
        if user.phone and not user.phone_verified:
            return Delivery(channels=[], send=_no_send, waiting=True)
        channels, waiting = [], False
        if user.phone and sms_number_allowed(user.phone):
            channels.append("sms")
        if user.email:
            if _email_verified(user):
                channels.append("email")
            else:
                waiting = True

        def send(channel: str) -> None:
            if channel == "sms":
                send_sms(phone=user.phone, text=welcome_sms_text(user), purpose=SmsPurpose.ACCOUNT)
            elif channel == "email":
                welcome_mail_send(user)

        return Delivery(channels=channels, send=send, waiting=waiting)

    def describe(self, notice: Notice) -> str:
        user = User.objects.filter(pk=notice.object_id).first()
        who = user.display_name if user is not None else f"#{notice.object_id}"
        return _("欢迎消息 · %(who)s") % {"who": who}


def _no_send(channel: str) -> None:  # pragma: no cover - a waiting delivery sends nothing
    raise AssertionError("a waiting welcome has no channel to send")
