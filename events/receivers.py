"""Wagtail signals the events app listens to. Receivers only hand over to ``services``."""

from django.dispatch import receiver
from wagtail.signals import page_published

from . import services
from .pages import EventPage


@receiver(page_published, sender=EventPage, dispatch_uid="events.notify_on_publish")
def _on_publish(sender, instance: EventPage, revision, **kwargs) -> None:
    # Wagtail has committed the page by now (its publish is not one transaction): the service
    # locks the seats and compares with the previous publication in its own transaction.
    services.event_published(event_id=instance.pk, revision_id=revision.pk)
