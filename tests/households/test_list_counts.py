"""The register lists count their rows up to REGISTER_LIST_COUNT_LIMIT and then say "more than"
(core.pagination.CappedCountPaginator): the pages still hold every row once, "next" goes on past
the limit, and the access log says the count is a lower bound. The world is the "two
communities" world of conftest.py; staff see its four households and the ones added here."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from households.models import AccessLog, Household
from tests.factories.households import HouseholdFactory

pytestmark = pytest.mark.django_db

HOUSEHOLDS = reverse("households_household:index")
PER_PAGE = 25


@pytest.fixture
def thirty_four(world):
    """Thirty more households in grid group A1: 34 in all for staff."""
    for number in range(30):
        HouseholdFactory(grid_group=world.a1, householder_name=f"户主{number:02d}")
    assert Household.objects.count() == 34


def _names(html: str) -> list[str]:
    """The householders' names in the rows, in order."""
    return re.findall(r'<div class="title-wrapper"><a href="[^"]*">([^<]*)</a>', html)


def _last_log() -> AccessLog:
    return AccessLog.objects.filter(action=AccessLog.Action.LIST).latest("pk")


def test_within_the_limit_the_count_is_exact(world, thirty_four, client_for):
    response = client_for("staff").get(HOUSEHOLDS)
    html = response.content.decode()
    assert response.context["paginator"].count == 34
    assert "超过" not in html
    assert _last_log().row_count == 34 and "row_count_at_least" not in _last_log().filters


def test_past_the_limit_the_pages_say_more_than(world, thirty_four, client_for, settings):
    settings.REGISTER_LIST_COUNT_LIMIT = 10  # page 1 still counts its own 25 rows and one more
    client = client_for("staff")

    first = client.get(HOUSEHOLDS, {"grid_group": world.a1.pk})
    html = first.content.decode()
    paginator = first.context["paginator"]
    assert paginator.count_capped and paginator.count_limit == PER_PAGE
    assert "超过 25 个符合" in html  # filtered: the header says how many match
    assert "第 1 页，超过 1 页" in html and "超过 25 侨户" in html
    assert 'href="/admin/register/households/?grid_group=' in html and "p=2" in html  # next
    first_names = _names(html)
    assert len(first_names) == PER_PAGE
    log = _last_log()
    assert log.row_count == PER_PAGE + 1 and log.filters["row_count_at_least"] is True

    # page 2 counts as far as its own rows: 32 in A1 (30 + hA1 + hA1b), exact, the last page
    second = client.get(HOUSEHOLDS, {"grid_group": world.a1.pk, "p": 2})
    html = second.content.decode()
    assert not second.context["paginator"].count_capped
    assert second.context["paginator"].count == 32
    assert "超过" not in html
    second_names = _names(html)
    assert len(second_names) == 32 - PER_PAGE
    in_a1 = Household.objects.filter(grid_group=world.a1)
    assert sorted(first_names + second_names) == sorted(h.householder_name for h in in_a1)
    log = _last_log()
    assert log.row_count == 32 and "row_count_at_least" not in log.filters


def test_a_page_past_the_end_shows_the_last_page(world, thirty_four, client_for, settings):
    settings.REGISTER_LIST_COUNT_LIMIT = 10
    response = client_for("staff").get(HOUSEHOLDS, {"p": 99})
    assert response.context["page_obj"].number == 2
    assert len(_names(response.content.decode())) == 34 - PER_PAGE


def test_the_results_fragment_says_more_than_too(world, thirty_four, client_for, settings):
    """The results Wagtail fetches when a filter changes use the same template."""
    settings.REGISTER_LIST_COUNT_LIMIT = 10
    url = reverse("households_household:index_results")
    html = client_for("staff").get(url, {"grid_group": world.a1.pk}).content.decode()
    assert "超过 25 个符合" in html and "第 1 页，超过 1 页" in html
