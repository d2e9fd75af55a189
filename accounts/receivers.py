"""Hooks into django-allauth. The signal is allauth's only extension point after sign-up, so
the receiver does nothing but hand over to a service."""

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from .services import user_welcome_enqueue


@receiver(user_signed_up, dispatch_uid="accounts.welcome_on_signup")
def _welcome_on_signup(sender, request, user, **kwargs) -> None:
    user_welcome_enqueue(user=user)
