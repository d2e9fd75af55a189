"""The team's public page: figures from the selectors (cached), the honour roll only of those
who agreed, names masked."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from wagtail.models import Site

from tests.factories import UserFactory
from tests.factories.volunteers import volunteer_approved
from volunteers import selectors, services
from volunteers.pages import VolunteerTeamPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_page(db):
    root = Site.objects.get(is_default_site=True).root_page
    page = VolunteerTeamPage(title="侨之爱义工服务队", slug="volunteers", intro="<p>欢迎</p>")
    root.add_child(instance=page)
    page.save_revision().publish()
    return page


def _hours(staff, volunteer, hours: int) -> None:
    day = timezone.localdate() - timedelta(days=2)
    start = timezone.make_aware(datetime(day.year, day.month, day.day, 8))
    entry = services.hours_log(
        actor=staff,
        volunteer_id=volunteer.pk,
        started_at=start,
        ended_at=start + timedelta(hours=hours),
        description="义诊",
    )
    services.hours_confirm(actor=staff, entry_id=entry.pk)


def test_the_team_page_shows_figures_and_an_honour_roll_of_those_who_agreed(
    client, staff, world, skills, team_page
):
    shown = volunteer_approved(
        UserFactory(name="王建华"),
        staff=staff,
        skills=[skills["repair"]],
        communities=[world.community_a],
    )
    shown.on_honour_roll = True
    shown.save()
    hidden = volunteer_approved(
        UserFactory(name="赵不露"),
        staff=staff,
        skills=[skills["repair"], skills["photo"]],
        communities=[world.community_a],
    )
    _hours(staff, shown, 3)
    _hours(staff, hidden, 5)
    cache.clear()

    response = client.get("/volunteers/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>2</strong>" in html  # volunteers on the team
    assert "<strong>8</strong>" in html  # hours this year
    assert "家电维修 · 2 位义工" in html and "摄影 · 1 位义工" in html
    assert "王*华" in html and shown.number in html
    assert "王建华" not in html  # masked
    assert "赵*露" not in html and hidden.number not in html  # did not agree


def test_the_figures_are_cached_briefly(staff, world, skills, django_assert_num_queries):
    cache.clear()
    first = selectors.team_figures()
    with django_assert_num_queries(0):
        assert selectors.team_figures() == first
