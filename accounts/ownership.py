"""Accounts set up by someone who never proved the phone or mailbox they gave.

Pre-hijacking: an attacker signs up with a victim's number (or address) and a password of their
own; the number stays unverified. When the victim later logs in by a code sent to it, both would
share one account. So the first proof of ownership made without the password takes the account
away from whoever set it up: their password stops working, the addresses and number they added
without proving them are dropped, and every other session ends. (A writes module of its own,
next to services.py; the adapter and the allauth receivers call it.)
"""

from __future__ import annotations

import logging

from django.db import transaction

from .models import User

logger = logging.getLogger(__name__)


@transaction.atomic
def user_claim_by_proof(
    *, user: User, proven_phone: str | None = None, proven_email: str | None = None
) -> None:
    """Hand ``user``'s account to the person who just proved ``proven_phone`` or
    ``proven_email`` without knowing its password.

    Call only for a first proof (the number or address was not verified before) made without
    the password in the same session. Makes the password unusable (the person sets a new one,
    ``accounts:password``); deletes the email addresses that were never verified, except the
    one just proven; forgets a phone number that was never verified, unless it is the one
    just proven. Changing the password hash logs out every session of the user that existed
    before (Django checks the hash on each request); the caller's session logs in afterwards
    with the same, updated ``user`` instance.
    """
    from allauth.account.models import EmailAddress

    # Changes go on the caller's instance: allauth logs that very object in, and a stale
    # password hash on it would log the new owner straight out again.
    User.objects.select_for_update().filter(pk=user.pk).first()
    user.refresh_from_db(fields=["email", "phone", "phone_verified"])
    fields = ["password"]
    user.set_unusable_password()

    unproven = EmailAddress.objects.filter(user=user, verified=False)
    if proven_email:
        unproven = unproven.exclude(email__iexact=proven_email)
    dropped = unproven.delete()[0]
    if user.email and not EmailAddress.objects.filter(user=user, email__iexact=user.email).exists():
        user.email = ""
        fields.append("email")

    if user.phone and not user.phone_verified and user.phone != proven_phone:
        user.phone = None
        fields.append("phone")
    user.save(update_fields=fields)
    logger.info(
        "account %s claimed by proof of its %s; %s unverified addresses dropped",
        user.pk,
        "phone" if proven_phone else "email",
        dropped,
    )
