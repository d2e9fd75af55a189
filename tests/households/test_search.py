"""Search that reveals nothing: who may not unmask finds people by phone or ID only with the
whole number; who may unmask finds by part, and each such search is logged with the term
masked. The world is the "two communities" world of conftest.py (committee_member and cadre
both cover community A; hA1's householder 陈家豪 has mobile +8613812345678)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from households.models import AccessLog

from .conftest import HOUSEHOLDER

pytestmark = pytest.mark.django_db

HOUSEHOLDS = reverse("households_household:index")
MEMBERS = reverse("households_member:index")
LISTS = {"households": HOUSEHOLDS, "members": MEMBERS}
NAME = HOUSEHOLDER["hA1"]  # 陈家豪, in the committee member's and the cadre's scope
MOBILE = "13812345678"


@pytest.fixture(autouse=True)
def no_hourly_limit(settings):
    # Some tests here try 26 parts of one number: each must be judged by the search rule, not
    # refused by the hourly limit (that is tested in test_number_search_limit.py).
    settings.REGISTER_NUMBER_SEARCH_HOURLY_LIMIT = 1000


def _found(client, url: str, q: str) -> bool:
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    return NAME in response.content.decode()


def _prefixes(number: str, start: int) -> list[str]:
    return [number[:n] for n in range(start, len(number))]


def _suffixes(number: str, start: int) -> list[str]:
    return [number[-n:] for n in range(start, len(number))]


@pytest.mark.parametrize("url", LISTS.values(), ids=LISTS.keys())
def test_committee_member_cannot_find_a_mobile_one_digit_at_a_time(world, client_for, url):
    client = client_for("committee_member")
    for part in [*_prefixes(MOBILE, 4), *_suffixes(MOBILE, 4), MOBILE[2:9]]:
        assert not _found(client, url, part), part


@pytest.mark.parametrize("url", LISTS.values(), ids=LISTS.keys())
def test_committee_member_cannot_find_an_id_number_by_its_end_or_start(world, client_for, url):
    client = client_for("committee_member")
    id_number = world.mA1.id_number
    for part in [*_suffixes(id_number, 4), *_prefixes(id_number, 6)]:
        assert not _found(client, url, part), part


@pytest.mark.parametrize("url", LISTS.values(), ids=LISTS.keys())
@pytest.mark.parametrize("q", [MOBILE, "138 1234 5678", "+86 138-1234-5678", "+8613812345678"])
def test_committee_member_finds_by_the_whole_mobile(world, client_for, url, q):
    assert _found(client_for("committee_member"), url, q)


@pytest.mark.parametrize("url", LISTS.values(), ids=LISTS.keys())
def test_committee_member_finds_by_the_whole_id_number(world, client_for, url):
    client = client_for("committee_member")
    assert _found(client, url, world.mA1.id_number)
    assert _found(client, url, world.mA1.id_number.lower())


def test_whole_number_search_stays_in_scope(world, client_for):
    html = client_for("committee_member").get(MEMBERS, {"q": world.mB1.mobile}).content.decode()
    assert HOUSEHOLDER["hB1"] not in html


@pytest.mark.parametrize("url", LISTS.values(), ids=LISTS.keys())
def test_cadre_finds_by_part_and_the_search_is_logged_masked(world, client_for, cadre, url):
    client = client_for("cadre")
    assert _found(client, url, "1234567")
    assert _found(client, url, world.mA1.id_number[-6:])  # an ID by its end
    searches = list(AccessLog.objects.filter(action=AccessLog.Action.SEARCH).order_by("id"))
    assert len(searches) == 2
    assert all(row.user == cadre for row in searches)
    assert searches[0].filters["q"] == "*******"
    assert searches[0].filters["by_part"] is True
    for row in AccessLog.objects.all():  # the list rows store the term masked too
        assert "1234567" not in str(row.filters)
        assert world.mA1.id_number[-6:] not in str(row.filters)


def test_whole_number_search_is_logged_masked(world, client_for, committee_member):
    client_for("committee_member").get(MEMBERS, {"q": MOBILE})
    search = AccessLog.objects.get(action=AccessLog.Action.SEARCH)
    assert search.user == committee_member
    assert search.filters == {"q": "138****5678", "by_part": False}
    listed = AccessLog.objects.get(action=AccessLog.Action.LIST)
    assert listed.filters["q"] == "138****5678"


def test_name_search_writes_no_search_row(world, client_for):
    client_for("committee_member").get(MEMBERS, {"q": NAME})
    assert not AccessLog.objects.filter(action=AccessLog.Action.SEARCH).exists()
    assert AccessLog.objects.get(action=AccessLog.Action.LIST).filters["q"] == NAME


def test_export_of_a_part_search_finds_nothing_for_a_committee_member(world, client_for):
    client = client_for("committee_member")
    response = client.get(MEMBERS, {"q": MOBILE[:7], "export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert NAME not in body
