"""Searches by number are not an unthrottled lookup (red-team finding 3).

A masked mobile (``136****0043``) leaves 10,000 numbers; a committee member may find people by
the whole number only, so trying them one by one must stop: 20 searches by number an hour for
who may not unmask, 200 for who may (against a stolen session). Over the limit the list shows
no rows and says why, and the refusal is logged. Name searches are not counted. The world is
the "two communities" world of conftest.py (hA1's householder 陈家豪 has mobile
+8613812345678).
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from households.models import AccessLog

from .conftest import HOUSEHOLDER

pytestmark = pytest.mark.django_db

MEMBERS = reverse("households_member:index")
MEMBER_RESULTS = reverse("households_member:index_results")
HOUSEHOLDS = reverse("households_household:index")
NAME = HOUSEHOLDER["hA1"]
MOBILE = "13812345678"
REFUSED = "按号码查找太频繁，请一小时后再试；如需核对号码，请联系社区侨务干部。"
REFUSED_UNMASK = "按号码查找太频繁，请一小时后再试。"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.REGISTER_NUMBER_SEARCH_HOURLY_LIMIT = 20
    settings.REGISTER_NUMBER_SEARCH_UNMASK_HOURLY_LIMIT = 30


def _search(client, q: str, url: str = MEMBERS) -> str:
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def _wrong_numbers(n: int) -> list[str]:
    """``n`` whole mobiles of the masked one's 10,000 (none is the real one)."""
    return [f"138{i:04d}5678" for i in range(n)]


def test_the_21st_number_search_of_a_committee_member_is_refused(world, client_for):
    client = client_for("committee_member")
    for number in _wrong_numbers(20):
        html = _search(client, number, MEMBER_RESULTS)  # the list's own results address
        assert REFUSED not in html
    html = _search(client, MOBILE, MEMBER_RESULTS)  # the real number, the 21st search
    assert REFUSED in html
    assert NAME not in html
    html = _search(client, MOBILE)  # the whole page too, and the household list
    assert REFUSED in html and NAME not in html
    html = _search(client, MOBILE, HOUSEHOLDS)
    assert REFUSED in html and NAME not in html


def test_the_refusal_is_logged(world, client_for, committee_member):
    client = client_for("committee_member")
    for number in _wrong_numbers(21):
        _search(client, number)
    searches = list(AccessLog.objects.filter(action=AccessLog.Action.SEARCH).order_by("id"))
    assert len(searches) == 21
    assert all(row.user == committee_member for row in searches)
    assert not any(row.filters.get("refused") for row in searches[:20])
    assert searches[20].filters == {"q": "138****5678", "by_part": False, "refused": True}
    assert searches[20].row_count == 0


def test_an_export_over_the_limit_is_no_file_but_the_message(world, client_for):
    client = client_for("committee_member")
    for number in _wrong_numbers(20):
        _search(client, number)
    response = client.get(MEMBERS, {"q": MOBILE, "export": "csv"})
    assert response.status_code == 302
    assert "export" not in response["Location"]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [REFUSED]


def test_name_searches_are_not_counted(world, client_for):
    client = client_for("committee_member")
    for _ in range(25):
        assert NAME in _search(client, NAME)
        assert NAME in _search(client, "chen")
    assert NAME in _search(client, MOBILE)  # the first search by number still finds


def test_the_limit_is_per_user(world, client_for):
    first = client_for("committee_member")
    for number in _wrong_numbers(21):
        _search(first, number)
    assert REFUSED in _search(first, MOBILE)
    # the cadre covers the same community: their own count
    assert NAME in _search(client_for("cadre"), MOBILE)


def test_a_cadre_is_not_blocked_at_21_but_has_a_higher_limit(world, client_for):
    client = client_for("cadre")
    for number in _wrong_numbers(29):
        _search(client, number)
    html = _search(client, MOBILE)  # the 30th
    assert NAME in html
    html = _search(client, MOBILE)  # the 31st: over the cadre's limit
    assert REFUSED_UNMASK in html
    assert NAME not in html


def test_elsewhere_a_refused_search_is_the_429_page(world, client_for):
    # the events sign-up screen searches the register too (member_search): over the limit
    # it answers the site's 429 page, not a 500
    from tests.factories.events import event_create

    event = event_create(title="中秋茶话会", capacity=20)
    url = reverse("events_staff_signup_member", args=[event.pk])
    client = client_for("cadre")
    assert client.get(url, {"q": MOBILE}).status_code == 200
    for number in _wrong_numbers(29):
        _search(client, number)
    response = client.get(url, {"q": MOBILE})
    assert response.status_code == 429
    assert NAME not in response.content.decode()
