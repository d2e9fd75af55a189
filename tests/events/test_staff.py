"""Staff screens of events in the Wagtail admin: overview, sign-up lists, export, signing up
register people, the yearly report and copying an event to next year.

The register is the "two communities" world of tests/households/conftest.py: the group leader
looks after grid group A1 (陈家豪 hA1, 刘雅琴 hA1b), the cadre all of community A (and 吴国栋
hA2), committee members have admin access but no events permission, staff see everything.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from io import BytesIO
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from django.utils import timezone
from openpyxl import load_workbook

from events import services
from events.copying import event_copy_to_next_year
from events.models import Signup, SignupLog
from events.pages import Audience, EventKind, EventPage
from households.models import AccessLog
from tests.factories import UserFactory
from tests.factories.events import event_create
from tests.households.conftest import World, world  # noqa: F401  (the register fixture)

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
QUESTIONS = [
    {"label": "饮食禁忌", "kind": "text"},
    {"label": "需要接送", "kind": "yes_no"},
]


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


@dataclass
class Setup:
    world: World
    event: EventPage
    s_a1: Signup  # 陈家豪 (hA1, group leader's scope), confirmed, 2 people, answers
    s_a2: Signup  # 吴国栋 (hA2, cadre's scope), confirmed
    s_b1: Signup  # 郑海生 (community B), waitlisted 1st
    s_a1b: Signup  # 刘雅琴 (hA1, group leader's scope), waitlisted 2nd
    s_user: Signup  # a relative with an account only, waitlisted 3rd


@pytest.fixture
def setup(world, staff, group_leader) -> Setup:  # noqa: F811
    event = event_create(title="中秋联欢会", capacity=3, party_size_max=3, questions=QUESTIONS)
    q_diet, q_ride = (str(q.pk) for q in event.questions.all())
    s_a1 = services.signup_create(
        event_id=event.pk,
        member_id=world.mA1.pk,
        party_size=2,
        answers={q_diet: "不吃辣", q_ride: "是"},
        actor=staff,
    )
    s_a2 = services.signup_create(event_id=event.pk, member_id=world.mA2.pk, actor=staff)
    s_b1 = services.signup_create(event_id=event.pk, member_id=world.mB1.pk, actor=staff)
    s_a1b = services.signup_create(event_id=event.pk, member_id=world.mA1b.pk, actor=group_leader)
    s_user = services.signup_create(
        event_id=event.pk, actor=UserFactory(name="网上报名人", phone="+8615912341111")
    )
    assert [s.status for s in (s_a1, s_a2, s_b1, s_a1b, s_user)] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
        "waitlisted",
    ]
    return Setup(world, event, s_a1, s_a2, s_b1, s_a1b, s_user)


# -- permission matrix ----------------------------------------------------------------------------

OK, DENIED, NOT_FOUND, REDIRECT = "ok", "denied", "not found", "redirect"
ADMIN_PERSONAS = ("group_leader", "cadre", "committee_member", "staff", "admin")
NO_ADMIN_PERSONAS = ("anonymous", "relative", "outsider")

SIGNUP_PEOPLE = (OK, OK, DENIED, OK, OK)  # who signs up register people, and staff
STAFF_ONLY = (DENIED, DENIED, DENIED, OK, OK)


@dataclass(frozen=True)
class Case:
    url_name: str
    expect: tuple[str, str, str, str, str]  # group_leader, cadre, committee_member, staff, admin
    target: str = ""  # "event", or a Setup attribute holding a sign-up
    method: str = "get"
    query: str = ""

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url_name}[{self.target}]{self.query}"

    def path(self, setup: Setup) -> str:
        if self.target == "event":
            args = [setup.event.pk]
        elif self.target:
            signup = getattr(setup, self.target)
            args = [signup.event_id, signup.pk]
        else:
            args = []
        return reverse(self.url_name, args=args) + self.query


CASES = [
    Case("events_staff_index", SIGNUP_PEOPLE),
    Case("events_staff_index", SIGNUP_PEOPLE, query="?when=past"),
    Case("events_staff_report", STAFF_ONLY),
    Case("events_staff_signups", SIGNUP_PEOPLE, "event"),
    Case("events_staff_signups", SIGNUP_PEOPLE, "event", query="?tab=waitlisted"),
    Case("events_staff_signups_export", SIGNUP_PEOPLE, "event"),
    Case("events_staff_signup_member", SIGNUP_PEOPLE, "event"),
    Case("events_staff_signup_member", SIGNUP_PEOPLE, "event", query="?q=cjh"),
    Case("events_staff_copy", STAFF_ONLY, "event"),
    Case("events_staff_copy", (DENIED, DENIED, DENIED, REDIRECT, REDIRECT), "event", method="post"),
    # a sign-up in the group leader's scope, and one in community B (nobody's but staff's)
    Case(
        "events_staff_signup_cancel",
        (REDIRECT, REDIRECT, DENIED, REDIRECT, REDIRECT),
        "s_a1",
        method="post",
    ),
    Case(
        "events_staff_signup_cancel",
        (NOT_FOUND, NOT_FOUND, DENIED, REDIRECT, REDIRECT),
        "s_b1",
        method="post",
    ),
]


def _login_next(response) -> str | None:
    if response.status_code != 302:
        return None
    url = urlsplit(response["Location"])
    # Wagtail sends people without admin access to its login URL, the admin's login gate
    # (portal.views.admin_login_redirect), which leads on to allauth's login.
    if url.path not in (reverse("admin_login_redirect"), reverse("account_login")):
        return None
    return parse_qs(url.query).get("next", [""])[0]


def test_the_matrix_covers_every_staff_url():
    names = {
        name
        for name in get_resolver().reverse_dict
        if isinstance(name, str) and name.startswith("events_staff_")
    }
    assert names == {case.url_name for case in CASES}


@pytest.mark.parametrize("persona", NO_ADMIN_PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_people_without_admin_access_are_sent_to_login(setup, client_for, case, persona):
    path = case.path(setup)
    before = EventPage.objects.count(), list(Signup.objects.values_list("pk", "status"))
    response = getattr(client_for(persona), case.method)(path)
    assert response.status_code == 302
    assert _login_next(response) == path
    assert (EventPage.objects.count(), list(Signup.objects.values_list("pk", "status"))) == before


@pytest.mark.parametrize("persona", ADMIN_PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_staff_url_answers_by_role_and_scope(setup, client_for, case, persona):
    expected = case.expect[ADMIN_PERSONAS.index(persona)]
    events_before = EventPage.objects.count()
    response = getattr(client_for(persona), case.method)(case.path(setup))
    if expected == OK:
        assert response.status_code == 200
    elif expected == NOT_FOUND:
        assert response.status_code == 404
    elif expected == DENIED:
        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_home")
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/")
        assert response["Location"] != reverse("wagtailadmin_home")
    if expected in (DENIED, NOT_FOUND):
        assert EventPage.objects.count() == events_before  # nothing copied
        if case.target.startswith("s_"):
            signup = Signup.objects.get(pk=getattr(setup, case.target).pk)
            assert signup.is_active  # nothing cancelled


def test_menu_item_is_shown_to_whoever_may_use_the_screens(
    rf, group_leader, cadre, staff, committee_member, relative
):
    from events.wagtail_hooks import register_signups_menu_item

    item = register_signups_menu_item()
    shown = {}
    for name, user in [
        ("group_leader", group_leader),
        ("cadre", cadre),
        ("staff", staff),
        ("committee_member", committee_member),
        ("relative", relative),
    ]:
        request = rf.get("/admin/")
        request.user = user
        shown[name] = item.is_shown(request)
    assert shown == {
        "group_leader": True,
        "cadre": True,
        "staff": True,
        "committee_member": False,
        "relative": False,
    }


# -- per-event list ------------------------------------------------------------------------------


def _names(response) -> set[str]:
    return {row["signup"].name for row in response.context["rows"]}


@pytest.mark.parametrize(
    ("persona", "confirmed", "waitlisted"),
    [
        ("group_leader", {"陈家豪"}, {"刘雅琴"}),
        ("cadre", {"陈家豪", "吴国栋"}, {"刘雅琴"}),
        ("staff", {"陈家豪", "吴国栋"}, {"郑海生", "刘雅琴", "网上报名人"}),
    ],
)
def test_sign_up_list_shows_only_the_sign_ups_in_scope(
    setup, client_for, persona, confirmed, waitlisted
):
    client = client_for(persona)
    url = reverse("events_staff_signups", args=[setup.event.pk])
    first = client.get(url)
    assert _names(first) == confirmed
    html = first.content.decode()
    hidden = {"陈家豪", "吴国栋", "郑海生", "刘雅琴", "网上报名人"} - confirmed - waitlisted
    assert not any(name in html for name in hidden)
    assert _names(client.get(url + "?tab=waitlisted")) == waitlisted
    counts = {key: count for key, _label, count in first.context["tabs"]}
    assert counts["confirmed"] == len(confirmed)
    assert counts["waitlisted"] == len(waitlisted)


def test_sign_up_list_columns_masked_phone_answers_positions(setup, client_for):
    client = client_for("staff")
    url = reverse("events_staff_signups", args=[setup.event.pk])
    html = client.get(url).content.decode()
    assert "饮食禁忌" in html and "需要接送" in html  # question labels as column headers
    assert "不吃辣" in html
    assert "138****5678" in html
    assert "13812345678" not in html  # never the full number in a list
    assert setup.s_a1.code not in html
    assert "张晓燕" in html  # created by

    waiting = client.get(url + "?tab=waitlisted")
    positions = {row["signup"].name: row["position"] for row in waiting.context["rows"]}
    assert positions == {"郑海生": 1, "刘雅琴": 2, "网上报名人": 3}
    # the group leader sees the real position on the whole list, not within their scope
    leader_rows = client_for("group_leader").get(url + "?tab=waitlisted").context["rows"]
    assert [(r["signup"].name, r["position"]) for r in leader_rows] == [("刘雅琴", 2)]
    assert AccessLog.objects.filter(
        object_type="event_signups", object_id=setup.event.pk, action="list"
    ).exists()


def test_no_show_tab_lists_confirmed_people_not_checked_in_once_the_event_is_over(
    setup, client_for, staff
):
    services.signup_check_in(signup_id=setup.s_a1.pk, actor=staff)
    services.walk_in_record(event=setup.event, name="路过的人", actor=staff)
    url = reverse("events_staff_signups", args=[setup.event.pk])
    client = client_for("staff")
    assert _names(client.get(url + "?tab=no_show")) == set()  # not over yet
    assert _names(client.get(url + "?tab=walk_in")) == {"路过的人"}
    EventPage.objects.filter(pk=setup.event.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=3),
        ends_at=timezone.now() - datetime.timedelta(hours=1),
    )
    assert _names(client.get(url + "?tab=no_show")) == {"吴国栋"}


def test_staff_cancel_promotes_the_waiting_list(setup, client_for, staff):
    response = client_for("staff").post(
        reverse("events_staff_signup_cancel", args=[setup.event.pk, setup.s_a2.pk]),
        {"tab": "confirmed"},
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("events_staff_signups", args=[setup.event.pk]) + "?tab=confirmed"
    )
    statuses = dict(Signup.objects.values_list("name", "status"))
    assert statuses["吴国栋"] == "cancelled"
    assert statuses["郑海生"] == "confirmed"  # head of the waiting list got the seat
    assert statuses["刘雅琴"] == "waitlisted"
    assert SignupLog.objects.filter(signup=setup.s_a2, action="cancel", actor=staff).exists()
    assert SignupLog.objects.filter(signup=setup.s_b1, action="promote").exists()
    assert "已取消 吴国栋 的报名。" in [str(m) for m in get_messages(response.wsgi_request)]


def test_after_the_cancel_deadline_only_staff_may_cancel(setup, client_for):
    EventPage.objects.filter(pk=setup.event.pk).update(
        cancel_deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    url = reverse("events_staff_signup_cancel", args=[setup.event.pk, setup.s_a1.pk])
    response = client_for("group_leader").post(url)
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("取消报名的截止时间" in m for m in messages)
    assert Signup.objects.get(pk=setup.s_a1.pk).status == "confirmed"

    client_for("staff").post(url)
    assert Signup.objects.get(pk=setup.s_a1.pk).status == "cancelled"


def test_cancel_needs_post(setup, client_for):
    url = reverse("events_staff_signup_cancel", args=[setup.event.pk, setup.s_a1.pk])
    assert client_for("staff").get(url).status_code == 405
    assert Signup.objects.get(pk=setup.s_a1.pk).status == "confirmed"


# -- export --------------------------------------------------------------------------------------


def _sheet(response) -> list[tuple]:
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert ".xlsx" in response["Content-Disposition"]
    book = load_workbook(BytesIO(response.content), read_only=True)
    return list(book.worksheets[0].values)


def test_export_has_chinese_headers_answers_and_masked_phones(setup, client_for):
    response = client_for("staff").get(
        reverse("events_staff_signups_export", args=[setup.event.pk])
    )
    rows = _sheet(response)
    assert list(rows[0]) == [
        "姓名",
        "联系电话",
        "人数",
        "饮食禁忌",
        "需要接送",
        "状态",
        "候补顺位",
        "签到时间",
        "报名登记人",
        "报名时间",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"陈家豪", "吴国栋", "郑海生", "刘雅琴", "网上报名人"}
    chen = by_name["陈家豪"]
    assert chen[1:6] == ("138****5678", 2, "不吃辣", "是", "已确认")
    assert chen[8] == "张晓燕"
    assert by_name["郑海生"][6] == 1 and by_name["刘雅琴"][6] == 2
    assert by_name["网上报名人"][1] == "159****1111"
    text = " ".join(str(cell) for row in rows for cell in row if cell is not None)
    assert "13812345678" not in text and "15912341111" not in text
    assert not any(s.code in text for s in Signup.objects.all())  # no check-in codes
    log = AccessLog.objects.get(action="export", object_type="event_signups")
    assert log.row_count == 5 and log.object_id == setup.event.pk


def test_group_leader_exports_only_their_scope(setup, client_for):
    rows = _sheet(
        client_for("group_leader").get(
            reverse("events_staff_signups_export", args=[setup.event.pk])
        )
    )
    assert {row[0] for row in rows[1:]} == {"陈家豪", "刘雅琴"}


def test_export_neutralises_formulas_typed_as_names(setup, client_for, staff):
    services.walk_in_record(event=setup.event, name="=HYPERLINK(1)", actor=staff)
    rows = _sheet(
        client_for("staff").get(reverse("events_staff_signups_export", args=[setup.event.pk]))
    )
    assert "'=HYPERLINK(1)" in {row[0] for row in rows[1:]}


# -- signing up a register person ----------------------------------------------------------------


@pytest.fixture
def open_event(world):  # noqa: F811
    return event_create(title="重阳敬老茶话会", capacity=5, party_size_max=2, questions=QUESTIONS)


def _post_signup(client, event, member, **extra):
    q_diet, q_ride = (f"q{q.pk}" for q in event.questions.all())
    data = {"member": member.pk, "party_size": 1, q_diet: "素食", q_ride: "否", "q": ""}
    data.update(extra)
    return client.post(reverse("events_staff_signup_member", args=[event.pk]), data)


def test_search_offers_only_people_in_scope(open_event, client_for, world):  # noqa: F811
    url = reverse("events_staff_signup_member", args=[open_event.pk])
    leader = client_for("group_leader")
    found = leader.get(url, {"q": "陈家豪"})
    assert [m.pk for m in found.context["candidates"]] == [world.mA1.pk]
    assert leader.get(url, {"q": "郑海生"}).context["candidates"] == []
    assert [m.pk for m in client_for("staff").get(url, {"q": "郑海生"}).context["candidates"]] == [
        world.mB1.pk
    ]


def test_group_leader_signs_up_a_member_of_their_scope(
    open_event,
    client_for,
    world,  # noqa: F811
    group_leader,
):
    response = _post_signup(client_for("group_leader"), open_event, world.mA1b)
    assert response.status_code == 302
    assert response["Location"] == reverse("events_staff_signups", args=[open_event.pk])
    signup = Signup.objects.get(event=open_event)
    assert (signup.member, signup.created_by, signup.status) == (
        world.mA1b,
        group_leader,
        "confirmed",
    )
    assert sorted(signup.answers.values()) == ["否", "素食"]


def test_group_leader_may_not_sign_up_someone_outside_their_scope(
    open_event,
    client_for,
    world,  # noqa: F811
):
    for member in (world.mB1, world.mA2):
        response = _post_signup(client_for("group_leader"), open_event, member)
        assert response.status_code == 404
    response = client_for("group_leader").post(
        reverse("events_staff_signup_member", args=[open_event.pk]),
        {"member": "not-a-number", "party_size": 1},
    )
    assert response.status_code == 404
    assert not Signup.objects.filter(event=open_event).exists()


def test_refused_sign_up_comes_back_filled_in_with_the_reason(
    open_event,
    client_for,
    world,  # noqa: F811
):
    response = _post_signup(client_for("staff"), open_event, world.mB1, party_size=3, q="郑")
    assert response.status_code == 200
    html = response.content.decode()
    assert "这个活动每份报名最多 2 人（含本人）。" in html
    assert 'value="素食"' in html  # the answer typed is still there
    form = response.context["form"]
    assert form["member"].value() == str(world.mB1.pk) and "郑海生" in html
    assert form["party_size"].value() == "3"
    assert not Signup.objects.filter(event=open_event).exists()


def test_a_second_sign_up_of_the_same_person_is_refused(
    open_event,
    client_for,
    world,  # noqa: F811
):
    client = client_for("staff")
    assert _post_signup(client, open_event, world.mA1).status_code == 302
    response = _post_signup(client, open_event, world.mA1)
    assert response.status_code == 200
    assert "不能重复报名" in response.content.decode()
    assert Signup.objects.filter(event=open_event).count() == 1


def test_no_person_chosen_is_a_clear_error(open_event, client_for):
    response = client_for("staff").post(
        reverse("events_staff_signup_member", args=[open_event.pk]), {"party_size": 1}
    )
    assert response.status_code == 200
    assert "请先搜索并选择要报名的人。" in response.content.decode()


def test_audience_rule_of_the_service_is_shown(client_for, world):  # noqa: F811
    event = event_create(
        capacity=5,
        audience=Audience.COMMUNITIES,
        audience_communities=[world.community_b],
    )
    response = _post_signup_plain(client_for("staff"), event, world.mA1)
    assert response.status_code == 200
    assert "这个活动只面向以下社区的居民" in response.content.decode()


def _post_signup_plain(client, event, member):
    return client.post(
        reverse("events_staff_signup_member", args=[event.pk]),
        {"member": member.pk, "party_size": 1},
    )


# -- overview ------------------------------------------------------------------------------------


def _past_event(**fields) -> EventPage:
    """A published event that is over (made in the future, then moved back: publishing checks
    nothing about dates, but sign-ups refuse events that are over)."""
    starts_at = fields.pop("starts_at")
    event = event_create(**fields)
    EventPage.objects.filter(pk=event.pk).update(
        starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=2)
    )
    event.refresh_from_db()
    return event


def _signup(event, name, status, party_size=1, checked_in=False) -> Signup:
    return Signup.objects.create(
        event=event,
        name=name,
        status=status,
        party_size=party_size,
        checked_in_at=timezone.now() if checked_in else None,
    )


def test_overview_figures_for_upcoming_and_past_events(setup, client_for):
    past = _past_event(title="端午包粽子", capacity=10, starts_at=local(2024, 6, 10, 9, 0))
    _signup(past, "甲", "confirmed", party_size=2, checked_in=True)
    _signup(past, "乙", "confirmed", party_size=2)  # did not come
    _signup(past, "丙", "walk_in", party_size=1, checked_in=True)
    _signup(past, "丁", "cancelled", party_size=3)

    client = client_for("staff")
    upcoming = {
        row.event.pk: row for row in client.get(reverse("events_staff_index")).context["rows"]
    }
    row = upcoming[setup.event.pk]
    assert (row.figures.confirmed, row.figures.waitlisted, row.figures.waitlisted_signups) == (
        3,
        3,
        3,
    )
    assert row.no_shows is None and row.attendance_percent is None  # not over yet
    assert past.pk not in upcoming

    response = client.get(reverse("events_staff_index") + "?when=past")
    rows = {row.event.pk: row for row in response.context["rows"]}
    assert set(rows) == {past.pk}
    row = rows[past.pk]
    assert row.figures.confirmed == 4
    assert row.figures.attended == 3  # 2 checked in + 1 walk-in
    assert row.no_shows == 2
    assert row.attendance_percent == 50  # 2 of 4 confirmed came; the walk-in counts apart
    assert "50%" in response.content.decode()


def test_overview_filters_by_year_community_and_type(world, client_for):  # noqa: F811
    tea_a = _past_event(
        title="东港茶话会", starts_at=local(2024, 3, 1, 9), community=world.community_a
    )
    lecture = _past_event(title="讲座", starts_at=local(2024, 5, 1, 9), kind=EventKind.LECTURE)
    older = _past_event(title="去年的茶话会", starts_at=local(2023, 3, 1, 9))
    client = client_for("staff")

    def shown(query: str) -> set[int]:
        response = client.get(reverse("events_staff_index") + "?when=past&" + query)
        return {row.event.pk for row in response.context["rows"]}

    assert shown("") == {tea_a.pk, lecture.pk, older.pk}
    assert shown("year=2024") == {tea_a.pk, lecture.pk}
    assert shown(f"community={world.community_a.pk}") == {tea_a.pk}
    assert shown("community=none") == {lecture.pk, older.pk}
    assert shown("kind=lecture") == {lecture.pk}
    assert shown("year=2024&kind=tea_party") == {tea_a.pk}
    assert shown("year=not-a-year") == {tea_a.pk, lecture.pk, older.pk}  # ignored


def test_drafts_are_listed_for_staff_only(world, client_for):  # noqa: F811
    draft = event_create(title="草稿活动", publish=False)
    for persona, expected in [("staff", True), ("group_leader", False)]:
        rows = client_for(persona).get(reverse("events_staff_index")).context["rows"]
        assert (draft.pk in {row.event.pk for row in rows}) is expected


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_overview_queries_do_not_grow_with_events_and_sign_ups(world, client_for):  # noqa: F811
    client = client_for("staff")
    url = reverse("events_staff_index")
    first = event_create(capacity=5)
    _signup(first, "一", "confirmed")
    client.get(url)  # warm the per-process caches (content types, site)
    few = _queries(client, url)
    for n in range(6):
        event = event_create(capacity=5, community=world.community_a if n % 2 else None)
        for k in range(4):
            _signup(event, f"人{n}{k}", "confirmed" if k < 2 else "waitlisted", checked_in=k == 0)
    assert _queries(client, url) == few


def test_sign_up_list_queries_do_not_grow_with_sign_ups(world, client_for, staff):  # noqa: F811
    event = event_create(capacity=50, questions=QUESTIONS)
    client = client_for("staff")
    url = reverse("events_staff_signups", args=[event.pk])
    services.signup_create(event_id=event.pk, member_id=world.mA1.pk, actor=staff)
    client.get(url)
    few = _queries(client, url)
    for member in (world.mA2, world.mA1b, world.mB1, world.mB1_outsider):
        services.signup_create(event_id=event.pk, member_id=member.pk, actor=staff)
    for _ in range(5):
        services.signup_create(event_id=event.pk, actor=UserFactory())
    assert _queries(client, url) == few
    leader = client_for("group_leader")
    leader.get(url)
    assert _queries(leader, url) == _queries(leader, url + "?tab=confirmed")


# -- report --------------------------------------------------------------------------------------


def test_report_per_community_and_year(world, client_for):  # noqa: F811
    a_2024 = _past_event(starts_at=local(2024, 3, 1, 9), community=world.community_a)
    _signup(a_2024, "甲", "confirmed", party_size=2, checked_in=True)
    _signup(a_2024, "乙", "confirmed", party_size=2)
    street_2024 = _past_event(starts_at=local(2024, 9, 1, 9))
    _signup(street_2024, "丙", "confirmed", party_size=1, checked_in=True)
    _signup(street_2024, "丁", "walk_in", party_size=1, checked_in=True)
    _past_event(starts_at=local(2025, 3, 1, 9), community=world.community_a)
    event_create(title="未发布", publish=False, community=world.community_a)  # not counted

    response = client_for("staff").get(reverse("events_staff_report"))
    rows = {(row["year"], row["community"]): row for row in response.context["rows"]}
    assert set(rows) == {(2024, "东港社区"), (2024, None), (2025, "东港社区")}
    assert {k: v for k, v in rows[(2024, "东港社区")].items() if k != "year"} == {
        "community": "东港社区",
        "events": 1,
        "held": 1,
        "confirmed": 4,
        "held_confirmed": 4,
        "attended": 2,
        "walk_ins": 0,
        "percent": 50,
    }
    street = rows[(2024, None)]
    assert (street["confirmed"], street["attended"], street["walk_ins"]) == (1, 1, 1)
    assert street["percent"] == 100  # walk-ins are counted apart, never above 100%
    assert rows[(2025, "东港社区")]["percent"] is None
    html = response.content.decode()
    assert "侨联/街道" in html and "50%" in html


# -- copy to next year ---------------------------------------------------------------------------


@pytest.fixture
def annual(world):  # noqa: F811
    event = event_create(
        title="2024年春节茶话会",
        slug="spring-tea",
        starts_at=local(2024, 2, 29, 14, 0),
        ends_at=local(2024, 2, 29, 16, 30),
        signup_opens_at=local(2024, 2, 1, 9, 0),
        signup_closes_at=local(2024, 2, 28, 18, 0),
        cancel_deadline=local(2024, 2, 28, 12, 0),
        audience=Audience.COMMUNITIES,
        audience_communities=[world.community_a],
        questions=QUESTIONS,
        cancelled=True,
        cancel_reason="场地维修",
    )
    _signup(event, "去年的人", "confirmed", checked_in=True)
    return event


def test_copy_to_next_year_shifts_dates_keeps_questions_and_drops_sign_ups(
    annual,
    staff,
    world,  # noqa: F811
):
    copy = event_copy_to_next_year(event=annual, actor=staff)

    assert copy.pk != annual.pk and copy.get_parent().pk == annual.get_parent().pk
    assert timezone.localtime(copy.starts_at) == local(2025, 2, 28, 14, 0)  # 29 Feb → 28 Feb
    assert timezone.localtime(copy.ends_at) == local(2025, 2, 28, 16, 30)
    assert timezone.localtime(copy.signup_opens_at) == local(2025, 2, 1, 9, 0)
    assert timezone.localtime(copy.signup_closes_at) == local(2025, 2, 28, 18, 0)
    assert timezone.localtime(copy.cancel_deadline) == local(2025, 2, 28, 12, 0)
    assert copy.title == "2025年春节茶话会"
    assert copy.slug == "spring-tea-2025"
    assert not copy.live and copy.has_unpublished_changes
    assert not copy.cancelled and copy.cancel_reason == ""
    assert [(q.label, q.kind) for q in copy.questions.all()] == [
        (q["label"], q["kind"]) for q in QUESTIONS
    ]
    assert not set(copy.questions.values_list("pk", flat=True)) & set(
        annual.questions.values_list("pk", flat=True)
    )
    assert list(copy.audience_communities.all()) == [world.community_a]
    assert copy.audience == Audience.COMMUNITIES and copy.capacity == annual.capacity
    assert not Signup.objects.filter(event=copy).exists()
    # the editor opens on the new dates, not on last year's draft
    draft = copy.get_latest_revision_as_object()
    assert draft.starts_at == copy.starts_at and draft.title == copy.title
    assert len(draft.questions.all()) == 2
    # the original is untouched
    annual.refresh_from_db()
    assert annual.title == "2024年春节茶话会" and annual.live and annual.cancelled
    assert Signup.objects.filter(event=annual).count() == 1
    assert annual.questions.count() == 2

    again = event_copy_to_next_year(event=annual, actor=staff)
    assert again.slug == "spring-tea-2025-2"


def test_copy_replaces_a_year_at_the_end_of_the_slug(world, staff):  # noqa: F811
    event = event_create(
        title="中秋联欢会", slug="mid-autumn-2024", starts_at=local(2024, 9, 17, 19, 0)
    )
    copy = event_copy_to_next_year(event=event, actor=staff)
    assert copy.slug == "mid-autumn-2025"
    assert copy.title == "中秋联欢会"  # no year in it: unchanged
    assert timezone.localtime(copy.starts_at) == local(2025, 9, 17, 19, 0)


def test_copy_button_posts_and_opens_the_new_draft_in_the_editor(annual, client_for):
    client = client_for("staff")
    overview = client.get(reverse("events_staff_index") + "?when=past").content.decode()
    copy_url = reverse("events_staff_copy", args=[annual.pk])
    assert f'href="{copy_url}"' in overview  # the overview row links to the confirmation page

    response = client.post(copy_url)
    copy = EventPage.objects.exclude(pk=annual.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=[copy.pk])
    assert "2025年春节茶话会" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    editor = client.get(response["Location"])
    assert editor.status_code == 200
    assert "2025" in editor.content.decode()


def test_event_page_editor_has_the_copy_and_sign_up_list_buttons(annual, client_for):
    html = (
        client_for("staff")
        .get(reverse("wagtailadmin_pages:edit", args=[annual.pk]))
        .content.decode()
    )
    assert reverse("events_staff_copy", args=[annual.pk]) in html
    assert reverse("events_staff_signups", args=[annual.pk]) in html
    index_html = (
        client_for("staff")
        .get(reverse("wagtailadmin_pages:edit", args=[annual.get_parent().pk]))
        .content.decode()
    )
    assert reverse("events_staff_copy", args=[annual.get_parent().pk]) not in index_html


def test_overview_is_paginated(world, client_for):  # noqa: F811
    from events.staff_views import EVENTS_PER_PAGE

    events = [event_create(capacity=5) for _ in range(EVENTS_PER_PAGE + 1)]
    client = client_for("staff")
    first = client.get(reverse("events_staff_index"))
    second = client.get(reverse("events_staff_index") + "?p=2")
    assert len(first.context["rows"]) == EVENTS_PER_PAGE
    assert [row.event.pk for row in second.context["rows"]] == [events[-1].pk]
    assert 'class="pagination"' in first.content.decode()
