"""Wagtail signals the events app listens to. Receivers only hand over to ``services``."""

import logging

from django.dispatch import receiver
from wagtail.signals import page_published

from . import services, tasks
from .pages import EventPage

logger = logging.getLogger(__name__)


@receiver(page_published, sender=EventPage, dispatch_uid="events.notify_on_publish")
def _on_publish(sender, instance: EventPage, revision, **kwargs) -> None:
    # Wagtail has committed the page by now (its publish is not one transaction): the service
    # locks the seats and compares with the previous publication in its own transaction.
    try:
        services.event_published(event_id=instance.pk, revision_id=revision.pk)
    except services.SignupRefused as busy:
        # The seat lock stayed taken (a rush of sign-ups): the page is published all the same;
        # the job does the rest a moment later (it is safe to run twice).
        logger.warning("event %s published; its follow-up waits for a job: %s", instance.pk, busy)
        tasks.event_published_apply.delay_on_commit(instance.pk, revision.pk)
