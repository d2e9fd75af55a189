"""Accounts set up by someone who never proved the phone or mailbox they gave.

Pre-hijacking: an attacker signs up with a victim's number (or address) and a password of their
own; the number stays unverified. When the victim later logs in by a code sent to it, both would
share one account. So the first proof of ownership made without the password takes the account
away from whoever set it up: their password stops working, the addresses and number they added
without proving them are dropped, and every other session ends. (A writes module of its own,
next to services.py; the adapter, the allauth receivers and the code forms call it.)

The rule, in one sentence: **an account belongs to whoever first proved one of its
identifiers** (a verified phone number, a verified email address). So:

- while nobody owns an account, a code sent to any number or address it holds (login code,
  password-reset code) may open it, and a confirmation link followed in a browser other than
  the one that signed up counts too: that proof takes the account over (``user_claim_by_proof``);
- once someone owns it, a number or address they never verified is as good as unknown: no code
  goes to it and the browser sees what it sees for an unknown one (``user_may_receive_code``);
  proving it later (the owner confirming an address they added, verifying the number after a
  password login) is an ordinary verification and never a claim (``user_has_owner``);
- once someone owns it, a confirmation link is the owner's only when it is followed in a
  browser logged in as the account, or in the browser that signed it up. Anywhere else it
  proves the mailbox and not the account: the address was typed in by someone who could not
  prove it (an attacker who signed up with their own phone and a victim's address, or added
  the address on /accounts/email/), so the link does **not** confirm it on that account; the
  address is taken off it instead (``user_email_release``) and the visitor is told it is free
  to sign up or log in with. (An owner who opens the mail on another device adds the address
  again and confirms it logged in.)
- an address someone proves (link or code) is taken off every other account that holds it
  unverified (``email_release_elsewhere``), and an address parked unverified on an owned
  account counts as free at sign-up (``email_taken_by_someone``): a squatted address never
  keeps its owner from signing up with it.
"""

from __future__ import annotations

import logging

from django.db import transaction

from .models import User

logger = logging.getLogger(__name__)


def user_has_owner(user: User, *, apart_from_email: str | None = None) -> bool:
    """True when someone has proven one of ``user``'s identifiers: the phone number is
    verified, or an email address is (not counting ``apart_from_email``, for a proof that has
    just verified that address and asks whether anyone came before it). Reads the database,
    not the instance."""
    from allauth.account.models import EmailAddress

    if User.objects.filter(pk=user.pk, phone_verified=True).exclude(phone=None).exists():
        return True
    verified = EmailAddress.objects.filter(user_id=user.pk, verified=True)
    if apart_from_email:
        verified = verified.exclude(email__iexact=apart_from_email)
    return verified.exists()


def user_may_receive_code(
    user: User, *, email: str | None = None, phone: str | None = None
) -> bool:
    """May a code sent to ``email`` or ``phone`` (login code, password-reset code) open
    ``user``'s account? Yes when the identifier is verified on it; an identifier nobody
    verified only while the account has no owner (the code is then the first proof, and
    entering it claims the account). Callers treat a ``False`` as an unknown identifier, so the
    browser sees the same answer either way (allauth's enumeration prevention)."""
    from allauth.account.models import EmailAddress

    if phone:
        verified = User.objects.filter(pk=user.pk, phone=phone, phone_verified=True).exists()
    elif email:
        verified = EmailAddress.objects.filter(
            user_id=user.pk, email__iexact=email, verified=True
        ).exists()
    else:
        return False
    return verified or not user_has_owner(user)


@transaction.atomic
def user_claim_by_proof(
    *, user: User, proven_phone: str | None = None, proven_email: str | None = None
) -> None:
    """Hand ``user``'s account to the person who just proved ``proven_phone`` or
    ``proven_email`` without knowing its password.

    Call only for a first proof (the number or address was not verified before) made without
    the password, on an account nobody owned before it (``user_has_owner`` false apart from
    the address just proven). Makes the password unusable (the person sets a new one,
    ``accounts:password`` or the password reset); deletes the email addresses that were never
    verified, except the one just proven; forgets a phone number that was never verified,
    unless it is the one just proven; forgets the name the unproven party typed (it would go
    into the welcome text and mail to the new owner: "【侨心】<attacker's words>，欢迎…"), so
    they are greeted neutrally until they give one. Changing the password hash logs out every
    session of the user that existed before (Django checks the hash on each request); the
    caller's session logs in afterwards with the same, updated ``user`` instance.
    """
    from allauth.account.models import EmailAddress

    # Changes go on the caller's instance: allauth logs that very object in, and a stale
    # password hash on it would log the new owner straight out again.
    User.objects.select_for_update().filter(pk=user.pk).first()
    user.refresh_from_db(fields=["email", "phone", "phone_verified"])
    fields = ["password", "name", "first_name", "last_name"]
    user.set_unusable_password()
    user.name = user.first_name = user.last_name = ""

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


def email_taken_by_someone(email: str) -> bool:
    """Does ``email`` belong to an account, for sign-up? Only where a code to it could open
    that account (``user_may_receive_code``): verified on it, or on an account nobody owns yet
    (its owner claims that one by a reset code). An address typed unverified into an owned
    account is not that account's: it is free, and proving it later releases it there."""
    from allauth.account.internal.userkit import filter_users_by_email

    return any(user_may_receive_code(user, email=email) for user in filter_users_by_email(email))


@transaction.atomic
def user_email_release(*, user: User, email: str) -> int:
    """Take the unverified address ``email`` off ``user``'s account: someone typed it in who
    could not prove it. Deletes its EmailAddress row (its confirmation links die with it); if
    it was the account's main address, another verified one takes its place, or none. Returns
    how many rows were deleted. A verified address is never touched."""
    from allauth.account.models import EmailAddress

    User.objects.select_for_update().filter(pk=user.pk).first()
    deleted = EmailAddress.objects.filter(user_id=user.pk, email__iexact=email, verified=False)
    count = deleted.delete()[0]
    user.refresh_from_db(fields=["email"])
    if (user.email or "").lower() == email.lower():
        other = (
            EmailAddress.objects.filter(user_id=user.pk, verified=True).order_by("-primary").first()
        )
        if other is not None and not other.primary:
            other.set_as_primary()  # also sets user.email on allauth's own instance
        user.email = other.email if other else ""
        user.save(update_fields=["email"])
    if count:
        logger.info("unproven address released from account %s", user.pk)
    return count


def email_release_elsewhere(*, email: str, owner_id: int) -> int:
    """``owner_id``'s account has just proved ``email``: release it from every other account
    that holds it unverified (``user_email_release``). Returns how many were released."""
    from allauth.account.models import EmailAddress

    others = (
        EmailAddress.objects.filter(email__iexact=email, verified=False)
        .exclude(user_id=owner_id)
        .select_related("user")
    )
    return sum(user_email_release(user=address.user, email=email) for address in others)
