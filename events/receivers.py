"""Wagtail signals the events app listens to. Receivers only hand over to ``notifications``."""

from django.dispatch import receiver
from wagtail.signals import page_published

from .models import EventPage
from .notifications import event_published_notify


@receiver(page_published, sender=EventPage, dispatch_uid="events.notify_on_publish")
def _notify_on_publish(sender, instance: EventPage, revision, **kwargs) -> None:
    event_published_notify(event=instance, revision=revision)
