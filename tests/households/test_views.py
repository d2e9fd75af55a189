"""The register screens: masking, exports, the access log, search, filters, query counts, and
moving and merging households. The world is the "two communities" world of conftest.py."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.models import AccessLog, Household, HouseholdChange, Member
from tests.factories.households import HouseholdFactory, MemberFactory

from .conftest import HOUSEHOLDER, SCOPE

pytestmark = pytest.mark.django_db

HOUSEHOLDS = reverse("households_household:index")
MEMBERS = reverse("households_member:index")
LISTS = {"households": HOUSEHOLDS, "members": MEMBERS}
REGISTER_PERSONAS = ["group_leader", "cadre", "committee_member", "staff", "admin"]

MASKED_PHONE = re.compile(r"^\d{3}\*+\d{4}$")
#: What someone who may not unmask sees of an ID: province and city only (test_rebuilt_ids.py)
MASKED_ID_HEAD = re.compile(r"^\d{4}\*{14}$")


def _inspect(household) -> str:
    return reverse("households_household:inspect", args=[household.pk])


def _unmask(member) -> str:
    return reverse("households_household:unmask", args=[member.pk])


def _full_numbers(world) -> list[str]:
    """Every personal number of the world, in full, with and without the +86 prefix."""
    numbers = []
    for member in world.members:
        numbers += [member.mobile, member.mobile.removeprefix("+86"), member.id_number]
    for household in world.households.values():
        if household.home_phone:
            numbers += [household.home_phone, household.home_phone.removeprefix("+86")]
    return numbers


def export(client, url: str, fmt: str, **params) -> list[dict[str, str]]:
    """The rows of a CSV or XLSX export as dicts keyed by heading, every cell as text."""
    response = client.get(url, {"export": fmt, **params})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
        rows = [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
    header, *data = rows
    return [dict(zip(header, row, strict=True)) for row in data]


def names_on(html: str, names) -> set[str]:
    return {name for name in names if name in html}


# --- masking -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", REGISTER_PERSONAS)
@pytest.mark.parametrize("url", LISTS.values(), ids=LISTS.keys())
def test_lists_show_numbers_masked_for_everyone(world, client_for, persona, url):
    html = client_for(persona).get(url).content.decode()
    assert "138****5678" in html  # hA1's home phone and its householder's mobile
    for number in _full_numbers(world):
        assert number not in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_member_export_is_masked_for_a_committee_member(world, client_for, fmt):
    rows = export(client_for("committee_member"), MEMBERS, fmt)
    assert rows
    by_name = {row["姓名"]: row for row in rows}
    assert by_name["陈家豪"]["手机号码"] == "138****5678"
    for row in rows:
        assert MASKED_PHONE.match(row["手机号码"]), row
        assert MASKED_ID_HEAD.match(row["身份证号"]), row
        for number in _full_numbers(world):
            assert number not in row.values()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_household_export_is_masked_for_a_committee_member(world, client_for, fmt):
    rows = export(client_for("committee_member"), HOUSEHOLDS, fmt)
    by_key = {row["户编号"]: row for row in rows}
    assert by_key["A1-001"]["家庭电话"] == "138****5678"
    assert by_key["A1-002"]["家庭电话"] == ""


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_are_in_full_for_staff(world, client_for, fmt):
    client = client_for("staff")
    members = {row["姓名"]: row for row in export(client, MEMBERS, fmt)}
    for member in world.members:
        # mainland numbers without +86: a cell starting with "+" is escaped as a formula
        assert members[member.name]["手机号码"] == member.mobile.removeprefix("+86")
        assert members[member.name]["身份证号"] == member.id_number
    households = {row["户编号"]: row for row in export(client, HOUSEHOLDS, fmt)}
    assert households["A1-001"]["家庭电话"] == "13812345678"
    assert households["B1-001"]["家庭电话"] == "0580-2012345"


# --- exports hold exactly the scope and the filters ------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("persona", "community", "expected"),
    [
        ("group_leader", None, {"hA1", "hA1b"}),
        ("group_leader", "A", {"hA1", "hA1b"}),
        ("cadre", None, {"hA1", "hA1b", "hA2"}),
        ("committee_member", None, {"hA1", "hA1b", "hA2"}),
        ("committee_member", "A", {"hA1", "hA1b", "hA2"}),
        ("staff", None, {"hA1", "hA1b", "hA2", "hB1"}),
        ("staff", "A", {"hA1", "hA1b", "hA2"}),
        ("staff", "B", {"hB1"}),
    ],
)
def test_exports_hold_the_rows_of_scope_and_filters(
    world, client_for, persona, community, expected, fmt
):
    params = {}
    if community:
        params["community"] = {"A": world.community_a, "B": world.community_b}[community].pk
    client = client_for(persona)
    keys = {row["户编号"] for row in export(client, HOUSEHOLDS, fmt, **params)}
    assert keys == {world.households[h].key for h in expected}
    names = {row["姓名"] for row in export(client, MEMBERS, fmt, **params)}
    assert names == {m.name for m in world.members if _key_of(world, m) in expected}


def _key_of(world, member) -> str:
    return next(k for k, h in world.households.items() if h.pk == member.household_id)


def test_a_community_outside_scope_cannot_be_exported_through_the_filter(world, client_for):
    client = client_for("committee_member")
    rows = export(client, HOUSEHOLDS, "csv", community=world.community_b.pk)
    assert world.hB1.key not in {row["户编号"] for row in rows}
    rows = export(client, MEMBERS, "csv", community=world.community_b.pk)
    assert not {"郑海生", "赵外人"} & {row["姓名"] for row in rows}


# --- the access log --------------------------------------------------------------------------


def _one_new_log(before: int) -> AccessLog:
    assert AccessLog.objects.count() == before + 1
    return AccessLog.objects.order_by("-id").first()


def test_list_is_logged_with_filters_and_row_count(world, client_for, committee_member):
    before = AccessLog.objects.count()
    response = client_for("committee_member").get(
        HOUSEHOLDS, {"community": world.community_a.pk, "q": "陈"}
    )
    assert response.status_code == 200
    log = _one_new_log(before)
    assert (log.user, log.action, log.object_type) == (committee_member, "list", "household")
    assert log.filters == {"community": str(world.community_a.pk), "q": "陈"}
    assert log.row_count == 1  # 陈家豪's household


def test_member_list_is_logged_with_the_scope_row_count(world, client_for, group_leader):
    before = AccessLog.objects.count()
    client_for("group_leader").get(MEMBERS)
    log = _one_new_log(before)
    assert (log.user, log.action, log.object_type) == (group_leader, "list", "member")
    assert log.filters == {}
    assert log.row_count == 3  # hA1 (2 members) and hA1b (1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("persona", "unmasked", "households", "members"),
    [("committee_member", False, 3, 4), ("staff", True, 4, 6)],
)
def test_export_is_logged(world, client_for, request, persona, unmasked, households, members, fmt):
    user = request.getfixturevalue(persona)
    client = client_for(persona)
    before = AccessLog.objects.count()
    export(client, HOUSEHOLDS, fmt, lives_abroad="0")
    log = _one_new_log(before)
    assert (log.user, log.action, log.object_type) == (user, "export", "household")
    assert log.filters == {"format": fmt, "unmasked": unmasked, "lives_abroad": "0"}
    assert log.row_count == households
    export(client, MEMBERS, fmt)
    log = _one_new_log(before + 1)
    assert (log.user, log.action, log.object_type) == (user, "export", "member")
    assert log.filters == {"format": fmt, "unmasked": unmasked}
    assert log.row_count == members


def test_detail_is_logged(world, client_for, cadre):
    before = AccessLog.objects.count()
    assert client_for("cadre").get(_inspect(world.hA1)).status_code == 200
    log = _one_new_log(before)
    assert (log.user, log.action, log.object_type, log.object_id) == (
        cadre,
        "detail",
        "household",
        world.hA1.pk,
    )
    assert log.filters == {}
    assert log.row_count == 2


def test_unmask_is_logged(world, client_for, group_leader):
    before = AccessLog.objects.count()
    client_for("group_leader").post(_unmask(world.mA1))
    log = _one_new_log(before)
    assert (log.user, log.action, log.object_type, log.object_id) == (
        group_leader,
        "unmask",
        "member",
        world.mA1.pk,
    )
    assert log.filters == {}


# --- unmasking -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", REGISTER_PERSONAS)
def test_household_page_shows_numbers_masked(world, client_for, persona):
    html = client_for(persona).get(_inspect(world.hA1)).content.decode()
    assert "138****5678" in html
    if persona == "committee_member":  # may not unmask: province and city only
        assert world.mA1.id_number[:4] + "*" * 14 in html
        assert world.mA1.id_number[:4] + "*" * 10 + world.mA1.id_number[-4:] not in html
    else:
        assert world.mA1.id_number[:4] + "*" * 10 + world.mA1.id_number[-4:] in html
    for number in _full_numbers(world):
        assert number not in html


@pytest.mark.parametrize("persona", ["group_leader", "cadre", "staff"])
def test_unmask_shows_one_members_full_numbers_once(world, client_for, persona):
    client = client_for(persona)
    response = client.post(_unmask(world.mA1))
    assert response["Location"] == _inspect(world.hA1)

    html = client.get(_inspect(world.hA1)).content.decode()
    assert world.mA1.mobile in html
    assert world.mA1.id_number in html
    # only the member asked for
    assert world.mA1_relative.mobile.removeprefix("+86") not in html
    assert world.mA1_relative.id_number not in html
    assert "138****0001" in html

    html = client.get(_inspect(world.hA1)).content.decode()  # the next view is masked again
    assert "13812345678" not in html
    assert world.mA1.id_number not in html
    assert "138****5678" in html


def test_committee_member_cannot_unmask(world, client_for):
    client = client_for("committee_member")
    html = client.get(_inspect(world.hA1)).content.decode()
    assert "显示完整号码" not in html  # no button

    response = client.post(_unmask(world.mA1))
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    html = client.get(_inspect(world.hA1)).content.decode()
    assert "13812345678" not in html
    assert not AccessLog.objects.filter(action=AccessLog.Action.UNMASK).exists()


def test_unmask_only_by_post(world, client_for):
    assert client_for("staff").get(_unmask(world.mA1)).status_code == 404
    assert not AccessLog.objects.filter(action=AccessLog.Action.UNMASK).exists()


# --- search ----------------------------------------------------------------------------------


@pytest.fixture
def zhang_weiming(world):
    return MemberFactory(
        household=world.hA2,
        name="张伟明",
        relation=Member.Relation.CHILD,
        mobile="+8613955554444",
    )


ALL_MEMBER_NAMES = ["陈家豪", "王秀英", "刘雅琴", "吴国栋", "郑海生", "赵外人", "张伟明"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zwm", {"张伟明"}),
        ("ZWM", {"张伟明"}),
        ("zhangwei", {"张伟明"}),
        ("伟明", {"张伟明"}),
        ("家豪", {"陈家豪"}),
        ("13812340002", {"刘雅琴"}),
        ("138 1234 0002", {"刘雅琴"}),
        ("+8613812340002", {"刘雅琴"}),
        # a number also finds the household's other members when it is their home phone
        ("13812345678", {"陈家豪", "王秀英"}),
        ("13955554444", {"张伟明"}),
    ],
)
def test_member_search(world, zhang_weiming, client_for, query, expected):
    html = client_for("staff").get(MEMBERS, {"q": query}).content.decode()
    assert names_on(html, ALL_MEMBER_NAMES) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("zwm", {"hA2"}), ("伟明", {"hA2"}), ("13955554444", {"hA2"}), ("13812345678", {"hA1"})],
)
def test_household_search_finds_households_by_their_members(
    world, zhang_weiming, client_for, query, expected
):
    html = client_for("staff").get(HOUSEHOLDS, {"q": query}).content.decode()
    assert names_on(html, HOUSEHOLDER.values()) == {HOUSEHOLDER[h] for h in expected}


@pytest.mark.parametrize("url", LISTS.values(), ids=LISTS.keys())
@pytest.mark.parametrize("query", ["郑海生", "zhs", "13812340004"])  # name, initials, mobile
def test_search_stays_in_scope(world, client_for, url, query):
    client = client_for("committee_member")
    response = client.get(url, {"q": query})
    assert response.context["paginator"].count == 0
    assert "赵外人" not in response.content.decode()  # the searched one's housemate
    assert export(client, url, "csv", q=query) == []


# --- filters ---------------------------------------------------------------------------------


@pytest.fixture
def filter_world(world):
    """Ages and countries that tell the filters apart (dates far from any birthday edge)."""
    today = timezone.localdate()
    born = {
        world.mA1: date(today.year - 76, 3, 1),  # 60 and over
        world.mA1_relative: date(today.year - 41, 3, 1),
        world.mA1b: date(today.year - 31, 3, 1),
        world.mA2: date(today.year - 51, 3, 1),
        world.mB1: date(today.year - 68, 3, 1),  # 60 and over
        world.mB1_outsider: date(today.year - 36, 3, 1),
    }
    for member, birth_date in born.items():
        Member.objects.filter(pk=member.pk).update(birth_date=birth_date)
    Member.objects.filter(pk=world.mA2.pk).update(
        category=Member.Category.OVERSEAS_CHINESE, country="US", lives_abroad=True
    )
    return world


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"community": "A"}, {"陈家豪", "王秀英", "刘雅琴", "吴国栋"}),
        ({"community": "B"}, {"郑海生", "赵外人"}),
        ({"category": "returnee"}, {"陈家豪"}),
        ({"category": "overseas_chinese"}, {"吴国栋"}),
        ({"country": "US"}, {"吴国栋"}),
        ({"lives_abroad": "1"}, {"吴国栋"}),
        ({"lives_abroad": "0"}, {"陈家豪", "王秀英", "刘雅琴", "郑海生", "赵外人"}),
        ({"age_band": "60-"}, {"陈家豪", "郑海生"}),
        ({"age_band": "18-59"}, {"王秀英", "刘雅琴", "吴国栋", "赵外人"}),
        ({"community": "A", "age_band": "60-"}, {"陈家豪"}),
    ],
)
def test_member_filters(filter_world, client_for, params, expected):
    html = client_for("staff").get(MEMBERS, _resolve(filter_world, params)).content.decode()
    assert names_on(html, ALL_MEMBER_NAMES) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"community": "A"}, {"hA1", "hA1b", "hA2"}),
        ({"category": "returnee"}, {"hA1"}),
        ({"country": "US"}, {"hA2"}),
        ({"lives_abroad": "1"}, {"hA2"}),
        ({"lives_abroad": "0"}, {"hA1", "hA1b", "hB1"}),
        ({"age_band": "60-"}, {"hA1", "hB1"}),
        ({"community": "A", "age_band": "60-"}, {"hA1"}),
    ],
)
def test_household_filters(filter_world, client_for, params, expected):
    html = client_for("staff").get(HOUSEHOLDS, _resolve(filter_world, params)).content.decode()
    assert names_on(html, HOUSEHOLDER.values()) == {HOUSEHOLDER[h] for h in expected}


def _resolve(world, params: dict) -> dict:
    communities = {"A": world.community_a.pk, "B": world.community_b.pk}
    return {k: communities[v] if k == "community" else v for k, v in params.items()}


# --- query counts ----------------------------------------------------------------------------


def _grow_scope(world, persona: str, size: int) -> None:
    """Add households with two members each to grid group A1 until ``persona`` sees ``size``."""
    in_scope = (
        len(SCOPE[persona])
        + Household.objects.exclude(pk__in=[h.pk for h in world.households.values()]).count()
    )
    for _ in range(size - in_scope):
        household = HouseholdFactory(grid_group=world.a1, home_phone="+8613700001111")
        MemberFactory(household=household, country="US", lives_abroad=True)
        MemberFactory(household=household, relation=Member.Relation.SPOUSE)


@pytest.mark.parametrize("persona", ["group_leader", "committee_member", "staff"])
@pytest.mark.parametrize("url", LISTS.values(), ids=LISTS.keys())
def test_list_query_count_does_not_grow_with_rows(world, client_for, persona, url):
    client = client_for(persona)
    client.get(url)  # warm the per-process caches (content types, site) out of the count

    _grow_scope(world, persona, 3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200

    _grow_scope(world, persona, 30)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["paginator"].count >= 30  # one page of 50 holds them all
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


# --- moving a household ----------------------------------------------------------------------


def test_staff_moves_a_household_to_another_group(world, client_for, staff):
    url = reverse("households_household:move", args=[world.hA1.pk])
    response = client_for("staff").post(url, {"grid_group": world.b1.pk})
    assert response.status_code == 302
    assert response["Location"] == _inspect(world.hA1)

    world.hA1.refresh_from_db()
    assert world.hA1.grid_group == world.b1
    assert world.hA1.community == world.community_b
    change = HouseholdChange.objects.get(household=world.hA1)
    assert change.kind == HouseholdChange.Kind.MOVED
    assert change.actor == staff
    assert change.detail == {"from_group": "东港社区 · 第一小组", "to_group": "西山村 · 第一小组"}
    # and the scope follows: A1's group leader no longer sees it
    assert client_for("group_leader").get(_inspect(world.hA1)).status_code == 404


def test_moving_into_the_same_group_is_refused(world, client_for):
    url = reverse("households_household:move", args=[world.hA1.pk])
    response = client_for("staff").post(url, {"grid_group": world.a1.pk})
    assert response.status_code == 200
    assert "这户已经在这个小组里了。" in response.content.decode()
    assert not HouseholdChange.objects.exists()


def test_only_staff_may_move(world, client_for):
    url = reverse("households_household:move", args=[world.hA1.pk])
    response = client_for("cadre").post(url, {"grid_group": world.a2.pk})
    assert response["Location"] == reverse("wagtailadmin_home")
    world.hA1.refresh_from_db()
    assert world.hA1.grid_group == world.a1
    assert not HouseholdChange.objects.exists()


# --- merging households ----------------------------------------------------------------------


def _merge_url(household) -> str:
    return reverse("households_household:merge", args=[household.pk])


def test_merge_asks_first_then_moves_members_and_marks_the_duplicate(world, client_for, staff):
    client = client_for("staff")
    response = client.post(_merge_url(world.hA1), {"duplicate_key": world.hA1b.key})
    assert response.status_code == 200
    assert "确认合并" in response.content.decode()
    world.hA1b.refresh_from_db()
    assert world.hA1b.status == Household.Status.ACTIVE  # nothing happens before confirming

    response = client.post(_merge_url(world.hA1), {"duplicate_key": world.hA1b.key, "confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == _inspect(world.hA1)

    world.hA1b.refresh_from_db()
    assert world.hA1b.status == Household.Status.MERGED
    assert world.hA1b.merged_into == world.hA1
    assert world.hA1b.status_date == timezone.localdate()
    assert set(world.hA1.members.values_list("name", flat=True)) == {"陈家豪", "王秀英", "刘雅琴"}
    assert not world.hA1b.members.exists()
    change = HouseholdChange.objects.get(household=world.hA1, kind=HouseholdChange.Kind.MERGED)
    assert change.actor == staff
    assert change.detail == {"merged_household": "A1-002", "members_moved": 1}


def _snapshot(world):
    return (
        sorted(Member.objects.values_list("pk", "household_id")),
        sorted(Household.objects.values_list("pk", "status", "merged_into_id")),
        HouseholdChange.objects.count(),
    )


def test_merging_a_household_with_itself_is_refused(world, client_for):
    before = _snapshot(world)
    response = client_for("staff").post(
        _merge_url(world.hA1), {"duplicate_key": world.hA1.key, "confirm": "1"}
    )
    assert response.status_code == 200
    assert "不能把一户和它自己合并。" in response.content.decode()
    assert _snapshot(world) == before


def test_merging_with_itself_is_refused_before_the_confirm_step(world, client_for):
    # the check page must not offer "确认合并" for a merge that can only fail
    response = client_for("staff").post(_merge_url(world.hA1), {"duplicate_key": world.hA1.key})
    html = response.content.decode()
    assert response.status_code == 200
    assert "不能把一户和它自己合并。" in html
    assert "确认合并" not in html


def test_merging_an_unknown_key_says_so(world, client_for):
    before = _snapshot(world)
    response = client_for("staff").post(
        _merge_url(world.hA1), {"duplicate_key": "NO-SUCH", "confirm": "1"}
    )
    assert "找不到户编号为“NO-SUCH”的侨户。" in response.content.decode()
    assert _snapshot(world) == before
