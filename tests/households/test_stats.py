"""Register statistics: every figure against a hand count, the scope of each role, the admin
page's permissions and access log, a query count that does not grow, and the command."""

from __future__ import annotations

import io
import itertools
import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.menu import SubmenuMenuItem, admin_menu

from accounts.models import User
from households.models import AccessLog, Community, GridGroup, Household, Member, Responsibility
from households.services import responsibility_assign
from households.stats import register_stats
from households.wagtail_hooks import StatsMenuItem
from tests.factories import UserFactory, with_totp

pytestmark = pytest.mark.django_db

URL = "/admin/register/stats/"
C = Member.Category


def born(age: int) -> date:
    """A birth date on 1 January: the person is exactly ``age`` all through this year."""
    return date(timezone.localdate().year - age, 1, 1)


def household(community, group, key, *, status="active", **flags) -> Household:
    return Household.objects.create(
        key=key, community=community, grid_group=group, status=status, **flags
    )


def member(h, name, category, *, age=None, country="", abroad=None, deceased=False) -> Member:
    return Member.objects.create(
        household=h,
        name=name,
        category=category,
        birth_date=born(age) if age is not None else None,
        country=country,
        lives_abroad=bool(country) if abroad is None else abroad,
        is_deceased=deceased,
    )


@pytest.fixture
def register(roles):
    """Three communities, three grid groups, seven households (two of them not active).

    east 东港 (sort 1): group A1: h1 (key, empty nest), h2 (hardship)
                        group A2: h3 (key, hardship), h4 moved away (key)
    south 南岙 (sort 2): group B1: h5 (empty nest), h6 dissolved
                        no group: h7
    empty 空港 (sort 3): nothing
    """
    east = Community.objects.create(name="东港", sort_order=1)
    south = Community.objects.create(name="南岙", sort_order=2)
    empty = Community.objects.create(name="空港", sort_order=3)
    a1 = GridGroup.objects.create(community=east, name="一组")
    a2 = GridGroup.objects.create(community=east, name="二组")
    b1 = GridGroup.objects.create(community=south, name="一组")

    h1 = household(east, a1, "H1", is_key=True, is_empty_nest=True)
    member(h1, "陈一", C.RETURNEE, age=86)
    member(h1, "陈二", C.RELATIVE, age=81)
    member(h1, "陈三", C.OVERSEAS_CHINESE, age=96, country="US", deceased=True)
    h2 = household(east, a1, "H2", is_hardship=True)
    member(h2, "林一", C.RELATIVE, age=36)
    member(h2, "林二", C.OVERSEAS_CHINESE, age=38, country="US")
    member(h2, "林三", C.STUDENT_ABROAD, age=26, country="GB")
    h3 = household(east, a2, "H3", is_key=True, is_hardship=True)
    member(h3, "王一", C.RELATIVE, age=76)
    member(h3, "王二", C.ETHNIC_CHINESE, age=50, country="CA")
    member(h3, "王三", C.HK_MACAO, age=71, country="HK")
    h4 = household(east, a2, "H4", status="moved_away", is_key=True)
    member(h4, "张一", C.RELATIVE, age=86)
    member(h4, "张二", C.OVERSEAS_CHINESE, age=46, country="US")
    h5 = household(south, b1, "H5", is_empty_nest=True)
    member(h5, "黄一", C.RETURNEE, age=78)
    member(h5, "黄二", C.OVERSEAS_CHINESE, age=41, country="US")
    member(h5, "黄三", C.STUDENT_ABROAD, age=25, abroad=True)  # country not filled in
    h6 = household(south, b1, "H6", status="dissolved")
    member(h6, "吴一", C.RELATIVE, age=36)
    h7 = household(south, None, "H7")
    member(h7, "周一", C.RELATIVE)  # no birth date

    leader_a1 = with_totp(UserFactory(name="一组组长"))  # logs in below: needs the 2nd factor
    leader_a2_b1 = UserFactory(name="两组组长")
    cadre = UserFactory(name="东港干部")
    committee = UserFactory(name="委员")
    former = UserFactory(name="前组长")
    responsibility_assign(user=leader_a1, level="group_leader", grid_group=a1)
    responsibility_assign(user=leader_a2_b1, level="group_leader", grid_group=a2)
    responsibility_assign(user=leader_a2_b1, level="group_leader", grid_group=b1)
    responsibility_assign(user=cadre, level="cadre", community=east)
    responsibility_assign(user=committee, level="committee_member", community=east)
    responsibility_assign(user=committee, level="committee_member", community=south)
    ended = responsibility_assign(
        user=former, level="group_leader", grid_group=b1, start_date=date(2020, 1, 1)
    )
    Responsibility.objects.filter(pk=ended.pk).update(
        end_date=timezone.localdate() - timedelta(days=1)
    )
    return {
        "east": east,
        "south": south,
        "empty": empty,
        "households": [h1, h2, h3, h4, h5, h6, h7],
        "leader_a1": leader_a1,
        "cadre": cadre,
    }


def test_whole_register_matches_the_hand_count(register, staff):
    stats = register_stats(user=staff)
    # active: h1 h2 h3 h5 h7 (h4 moved away, h6 dissolved)
    assert stats["households"] == 5
    # h1 2 (陈三 deceased) + h2 3 + h3 3 + h5 3 + h7 1
    assert stats["members"] == 12
    assert stats["by_category"] == {
        "returnee": 2,  # 陈一 黄一
        "relative": 4,  # 陈二 林一 王一 周一
        "overseas_chinese": 2,  # 林二 黄二 (陈三 deceased, 张二 moved away)
        "ethnic_chinese": 1,  # 王二
        "hk_macao": 1,  # 王三
        "student_abroad": 2,  # 林三 黄三
    }
    # abroad: 林二 US, 林三 GB, 王二 CA, 王三 HK, 黄二 US, 黄三 (no country)
    assert stats["abroad"] == {
        "people": 6,
        "countries": 4,  # US GB CA HK
        "by_country": [
            {"code": "US", "label": "美国", "people": 2},
            {"code": "CA", "label": "加拿大", "people": 1},
            {"code": "GB", "label": "英国", "people": 1},
            {"code": "HK", "label": "中国香港", "people": 1},
            {"code": "", "label": "未填写", "people": 1},
        ],
    }
    # empty nest: h1 (陈一 86, 陈二 81) and h5 (黄一 78, 黄二 41, 黄三 25)
    assert stats["empty_nest"] == {"households": 2, "people": 5, "aged_60_plus": 3}
    # 60+: 陈一 陈二 王一 王三 黄一 (周一 has no birth date)
    assert stats["aged_60_plus"] == 5
    assert stats["key_households"] == 2  # h1 h3 (h4 moved away)
    assert stats["hardship_households"] == 2  # h2 h3
    assert stats["per_community"] == [
        # 东港: h1 h2 h3; 2 + 3 + 3 members; abroad 林二 林三 王二 王三
        {
            "id": register["east"].pk,
            "community": "东港",
            "households": 3,
            "members": 8,
            "abroad": 4,
        },
        # 南岙: h5 h7; 3 + 1 members; abroad 黄二 黄三
        {
            "id": register["south"].pk,
            "community": "南岙",
            "households": 2,
            "members": 4,
            "abroad": 2,
        },
        {
            "id": register["empty"].pk,
            "community": "空港",
            "households": 0,
            "members": 0,
            "abroad": 0,
        },
    ]
    assert stats["grid_groups"] == 3
    assert stats["group_leaders"] == 2  # 一组组长, 两组组长 (two groups, one person; 前组长 ended)
    assert stats["cadres"] == 1
    assert stats["committee_members"] == 1  # one person covering two communities
    json.dumps(stats)  # plain data all the way down


def test_one_community(register, staff):
    stats = register_stats(user=staff, community=register["south"])
    assert stats["households"] == 2  # h5 h7
    assert stats["members"] == 4
    assert stats["abroad"]["people"] == 2
    assert stats["abroad"]["countries"] == 1  # US (黄三 has none)
    assert [row["community"] for row in stats["per_community"]] == ["南岙"]
    assert stats["grid_groups"] == 1  # B1
    assert stats["group_leaders"] == 1  # 两组组长 via B1; 前组长 ended yesterday
    assert stats["cadres"] == 0  # the cadre covers 东港
    assert stats["committee_members"] == 1


def test_a_group_leader_sees_only_their_group(register):
    stats = register_stats(user=register["leader_a1"])
    # group A1: h1 (陈一 86 returnee, 陈二 81 relative), h2 (林一, 林二 US, 林三 GB)
    assert stats["households"] == 2
    assert stats["members"] == 5
    assert stats["by_category"] == {
        "returnee": 1,
        "relative": 2,
        "overseas_chinese": 1,
        "ethnic_chinese": 0,
        "hk_macao": 0,
        "student_abroad": 1,
    }
    assert stats["abroad"]["people"] == 2
    assert stats["abroad"]["countries"] == 2
    assert stats["empty_nest"] == {"households": 1, "people": 2, "aged_60_plus": 2}
    assert stats["aged_60_plus"] == 2
    assert (stats["key_households"], stats["hardship_households"]) == (1, 1)
    assert stats["per_community"] == [
        {"id": register["east"].pk, "community": "东港", "households": 2, "members": 5, "abroad": 2}
    ]
    # their own group, themselves; not the community's cadre or committee member
    assert (stats["grid_groups"], stats["group_leaders"]) == (1, 1)
    assert (stats["cadres"], stats["committee_members"]) == (0, 0)


def test_a_cadre_sees_their_community(register):
    stats = register_stats(user=register["cadre"])
    assert (stats["households"], stats["members"]) == (3, 8)  # 东港 only
    assert (stats["grid_groups"], stats["group_leaders"]) == (2, 2)  # A1 A2 and their leaders
    assert (stats["cadres"], stats["committee_members"]) == (1, 1)


def test_someone_with_no_scope_gets_zeros(register, relative):
    stats = register_stats(user=relative)
    assert stats["households"] == stats["members"] == stats["grid_groups"] == 0
    assert stats["group_leaders"] == stats["cadres"] == stats["committee_members"] == 0
    assert stats["per_community"] == []


def test_sixty_is_counted_from_the_sixtieth_birthday(roles, staff):
    today = timezone.localdate()
    sixty = today.replace(year=today.year - 60) if (today.month, today.day) != (2, 29) else None
    if sixty is None:
        sixty = date(today.year - 60, 2, 28)
    h = household(Community.objects.create(name="东港"), None, "H1")
    Member.objects.create(household=h, name="今天六十", category=C.RELATIVE, birth_date=sixty)
    Member.objects.create(
        household=h, name="明天六十", category=C.RELATIVE, birth_date=sixty + timedelta(days=1)
    )
    assert register_stats(user=staff)["aged_60_plus"] == 1


def _queries(user: User) -> int:
    user = User.objects.get(pk=user.pk)  # a fresh object: its permission cache is empty too
    with CaptureQueriesContext(connection) as ctx:
        register_stats(user=user)
    return len(ctx.captured_queries)


_keys = itertools.count()


def _grow(community: Community, group: GridGroup, n: int) -> None:
    for i in range(n):
        h = household(community, group, f"G{next(_keys)}", is_key=i % 2 == 0)
        member(h, f"甲{i}", C.RELATIVE, age=70)
        member(h, f"乙{i}", C.OVERSEAS_CHINESE, age=40, country=["US", "JP", "AU"][i % 3])


@pytest.mark.parametrize("persona", ["staff", "leader_a1"])
def test_query_count_does_not_grow_with_the_register(register, staff, persona):
    user = staff if persona == "staff" else register["leader_a1"]
    a1 = GridGroup.objects.get(community=register["east"], name="一组")
    _grow(register["east"], a1, 3)
    few = _queries(user)
    # ten times the households, in the user's group and elsewhere, and more groups and leaders
    _grow(register["east"], a1, 27)
    for i in range(3):
        group = GridGroup.objects.create(community=register["empty"], name=f"新{i}")
        responsibility_assign(user=UserFactory(), level="group_leader", grid_group=group)
        _grow(register["empty"], group, 10)
    assert register_stats(user=user)["households"] > 30
    assert _queries(user) == few
    # five aggregates, two for the scope (responsibilities, own household; read as id lists so
    # PostgreSQL can use its indexes) and two for a fresh user's permissions
    assert few <= 9


def test_the_page_makes_as_many_queries_for_ten_times_the_rows(register, staff, client):
    client.force_login(staff)
    a1 = GridGroup.objects.get(community=register["east"], name="一组")
    _grow(register["east"], a1, 3)
    client.get(URL)  # warm up: the session, the user, content types
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    _grow(register["south"], None, 30)
    with CaptureQueriesContext(connection) as more:
        assert client.get(URL).status_code == 200
    assert len(more) == len(few)


def test_staff_see_the_page_and_the_read_is_logged(register, staff, client):
    client.force_login(staff)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["stats"]["households"] == 5
    html = response.content.decode()
    assert "名册统计" in html and "中国香港" in html and "空港" in html
    log = AccessLog.objects.get(action="stats")
    assert (log.user, log.object_type, log.row_count, log.filters) == (staff, "stats", 5, {})


def test_the_community_filter(register, staff, client):
    client.force_login(staff)
    response = client.get(URL, {"community": register["south"].pk})
    assert response.status_code == 200
    assert response.context["stats"]["households"] == 2
    log = AccessLog.objects.get(action="stats")
    assert (log.row_count, log.filters) == (2, {"community": register["south"].pk})


def test_a_group_leader_sees_their_figures_only(register, client):
    client.force_login(register["leader_a1"])
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["stats"]["households"] == 2
    assert "南岙" not in response.content.decode()
    # a community outside their scope answers as if it did not exist
    assert client.get(URL, {"community": register["south"].pk}).status_code == 404
    assert client.get(URL, {"community": "abc"}).status_code == 404


@pytest.mark.parametrize("persona", ["relative", "volunteer", "committee_member"])
def test_others_are_turned_away(register, client_for, persona):
    """A relative has no admin; a committee member with no current responsibility has the admin
    but not the register. Wagtail turns the view's 403 into a redirect with a message."""
    response = client_for(persona).get(URL)
    assert response.status_code in (302, 403)
    assert not AccessLog.objects.filter(action="stats").exists()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def _menu_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return admin_menu.menu_items_for_request(request)


def test_the_menu_item_sits_in_the_register_group(register, staff):
    items = _menu_for(staff)
    assert not any(isinstance(item, StatsMenuItem) for item in items)
    group = next(i for i in items if isinstance(i, SubmenuMenuItem) and str(i.label) == "侨户名册")
    request = RequestFactory().get("/admin/")
    request.user = staff
    inner = group.menu.menu_items_for_request(request)
    stats = [item for item in inner if isinstance(item, StatsMenuItem)]
    assert [str(item.label) for item in stats] == ["名册统计"]
    assert stats[0].url == reverse("households_stats") == URL


def test_the_menu_item_is_hidden_without_register_work(register, committee_member):
    request = RequestFactory().get("/admin/")
    request.user = committee_member
    assert not StatsMenuItem("名册统计", URL).is_shown(request)
    request.user = register["leader_a1"]
    assert StatsMenuItem("名册统计", URL).is_shown(request)


def test_command_json_for_one_community(register):
    out = io.StringIO()
    call_command("register_stats", format="json", community="东港", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["households"], result["members"]) == (3, 8)  # h1 h2 h3
    assert result["abroad"]["countries"] == 4  # US GB CA HK
    assert result["per_community"] == [
        {"id": register["east"].pk, "community": "东港", "households": 3, "members": 8, "abroad": 4}
    ]
    assert "美国" in out.getvalue()  # not escaped


def test_command_text_covers_the_whole_register(register):
    out = io.StringIO()
    call_command("register_stats", stdout=out)
    text = out.getvalue()
    assert "在册侨户：5" in text and "成员：12" in text
    assert "东港：3 / 8 / 4" in text


def test_command_names_an_unknown_community(register):
    with pytest.raises(CommandError) as error:
        call_command("register_stats", community="西岙")
    message = str(error.value)
    assert "西岙" in message and "东港、南岙、空港" in message
