"""Hooks into django-allauth. Signals are allauth's only extension points after sign-up and
after an email address is verified, so the receivers do nothing but hand over (to a service, or
to the adapter, which knows how the address was proven)."""

from allauth.account.signals import email_confirmed, user_signed_up
from django.dispatch import receiver

from .services import user_welcome_owe


@receiver(user_signed_up, dispatch_uid="accounts.welcome_on_signup")
def _welcome_on_signup(sender, request, user, **kwargs) -> None:
    user_welcome_owe(user=user)


@receiver(email_confirmed, dispatch_uid="accounts.claim_on_email_proof")
def _claim_on_email_proof(sender, request, email_address, **kwargs) -> None:
    from allauth.account.adapter import get_adapter

    get_adapter(request).email_proven(request, email_address)


@receiver(email_confirmed, dispatch_uid="accounts.welcome_on_email_proof")
def _welcome_on_email_proof(sender, request, email_address, **kwargs) -> None:
    # the welcome mail waits for a confirmed address (accounts.notices)
    user_welcome_owe(user=email_address.user)
