"""Copying an annual event (Spring Festival tea party, Mid-Autumn gala) to next year."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.utils import timezone

from .pages import EventPage

if TYPE_CHECKING:
    from accounts.models import User


def datetime_next_year(value: datetime) -> datetime:
    """The same wall-clock time one year later in the site's zone; 29 February → 28 February."""
    local = timezone.localtime(value, timezone.get_default_timezone())
    try:
        return local.replace(year=local.year + 1)
    except ValueError:
        return local.replace(year=local.year + 1, day=28)


def _event_datetime_fields() -> list[str]:
    # The event's own fields only: Wagtail's (go_live_at, first_published_at, …) are reset.
    return [
        field.name
        for field in EventPage._meta.local_concrete_fields
        if isinstance(field, models.DateTimeField)
    ]


def _free_slug(parent, base: str) -> str:
    taken = set(parent.get_children().values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def event_copy_to_next_year(*, event: EventPage, actor: User) -> EventPage:
    """A draft of ``event`` one year later, under the same parent, for editors to check and publish.

    Copies the page as saved (not an unpublished draft of it) with its questions and audience
    communities, never its sign-ups; every date and time of the event moves on one year. The
    slug becomes ``<slug>-<year>`` (with ``-2``, ``-3`` … if taken) and the old year in the title
    becomes the new one. The copy is not published and not cancelled. The caller checks that
    ``actor`` may add pages under the event's parent; Wagtail's log records the copy.
    """
    event = EventPage.objects.get(pk=event.pk)
    parent = event.get_parent()
    old_year = timezone.localtime(event.starts_at, timezone.get_default_timezone()).year
    new_year = old_year + 1

    attrs: dict = {
        name: datetime_next_year(getattr(event, name))
        for name in _event_datetime_fields()
        if getattr(event, name) is not None
    }
    title = event.title.replace(str(old_year), str(new_year))
    base_slug = event.slug.removesuffix(f"-{old_year}")
    attrs.update(
        title=title,
        draft_title=title,
        seo_title=event.seo_title.replace(str(old_year), str(new_year)),
        slug=_free_slug(parent, f"{base_slug}-{new_year}"),
        cancelled=False,
        cancel_reason="",
        go_live_at=None,
        expire_at=None,
        expired=False,
        locked=False,
        locked_at=None,
        locked_by=None,
    )
    # copy_revisions=False: last year's drafts hold last year's dates; the copy starts with one
    # revision made from the attributes above, so the editor opens on the new dates.
    copy = event.copy(
        to=parent, update_attrs=attrs, keep_live=False, copy_revisions=False, user=actor
    )
    return EventPage.objects.get(pk=copy.pk)
