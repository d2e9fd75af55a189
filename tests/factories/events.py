"""Events for tests: ``event_create(capacity=10, …)`` publishes an EventPage under the events
index (made on first use), with sign-up open and the start a week ahead unless told otherwise."""

from __future__ import annotations

import datetime
import itertools

from django.utils import timezone
from wagtail.models import Page

from events.pages import EventIndexPage, EventKind, EventPage
from portal.models import HomePage

_numbers = itertools.count(1)


def events_index() -> EventIndexPage:
    index = EventIndexPage.objects.first()
    if index is not None:
        return index
    home = HomePage.objects.first()
    if home is None:  # a flushed database (transactional tests): make the site's home again
        from wagtail.models import Site

        root = Page.get_first_root_node()
        home = root.add_child(instance=HomePage(title="侨心", slug="home"))
        Site.objects.update_or_create(
            is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
        )
    return home.add_child(instance=EventIndexPage(title="活动", slug="events"))


def event_create(
    *, publish: bool = True, questions: list[dict] | None = None, **fields
) -> EventPage:
    n = next(_numbers)
    starts_at = fields.pop("starts_at", timezone.now() + datetime.timedelta(days=7))
    values = {
        "title": f"测试活动{n}",
        "slug": f"event-{n}-{timezone.now():%H%M%S%f}",
        "kind": EventKind.TEA_PARTY,
        "starts_at": starts_at,
        "ends_at": starts_at + datetime.timedelta(hours=2),
        "place": "侨联活动室",
        "capacity": 10,
        "party_size_max": 3,
    }
    values.update(fields)
    communities = values.pop("audience_communities", None)
    event = EventPage(**values)
    if communities is not None:
        event.audience_communities = communities
    for number, question in enumerate(questions or []):
        event.questions.add(event.questions.model(sort_order=number, **question))
    index = events_index()
    index.add_child(instance=event)
    if publish:
        event.save_revision().publish()
    else:
        event.live = False
        event.save(update_fields=["live"])
    event.refresh_from_db()
    return event
