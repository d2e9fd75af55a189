"""The public event pages: list, detail, sign-up and cancel forms, "my sign-ups"."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Signup
from events.pages import EventKind, EventQuestion
from events.services import signup_create
from tests.factories import UserFactory
from tests.factories.events import event_create, events_index

pytestmark = pytest.mark.django_db


def test_signup_form_confirms_and_shows_the_code(client, relative):
    event = event_create(capacity=5, party_size_max=3)
    client.force_login(relative)

    response = client.post(event.url + "signup/", {"party_size": "2"}, follow=True)

    signup = Signup.objects.get(event=event, user=relative)
    assert signup.status == "confirmed" and signup.party_size == 2
    text = response.content.decode()
    assert "报名成功" in text and signup.code in text
    assert "您已报名成功（2 人）" in text


def test_full_event_puts_the_person_on_the_waiting_list_with_position(client, relative):
    event = event_create(capacity=1, party_size_max=1)
    signup_create(event_id=event.pk, actor=UserFactory())
    signup_create(event_id=event.pk, actor=UserFactory())
    client.force_login(relative)

    response = client.post(event.url + "signup/", {"party_size": "1"}, follow=True)

    assert "候补名单第 2 位" in response.content.decode()
    assert Signup.objects.get(user=relative).status == "waitlisted"


@pytest.mark.parametrize(
    ("party_size", "message"),
    [("0", "参加人数至少为 1 人"), ("-1", "参加人数至少为 1 人"), ("9", "最多 3 人")],
)
def test_bad_party_size_comes_back_with_the_form_filled_in(client, relative, party_size, message):
    event = event_create(
        party_size_max=3, questions=[{"label": "饮食禁忌", "kind": EventQuestion.Kind.TEXT}]
    )
    question = event.questions.get()
    client.force_login(relative)

    response = client.post(
        event.url + "signup/", {"party_size": party_size, f"q{question.pk}": "不吃香菜"}
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert message in text
    assert 'value="不吃香菜"' in text and f'value="{party_size}"' in text
    assert not Signup.objects.exists()


def test_signing_up_twice_says_so(client, relative):
    event = event_create()
    signup_create(event_id=event.pk, actor=relative)
    client.force_login(relative)
    response = client.post(event.url + "signup/", {"party_size": "1"})
    assert response.status_code == 400
    assert "不能重复报名" in response.content.decode()
    assert Signup.objects.count() == 1


def test_after_closing_the_form_is_gone_and_a_post_is_refused(client, relative):
    event = event_create(signup_closes_at=timezone.now() - datetime.timedelta(minutes=5))
    client.force_login(relative)
    page = client.get(event.url).content.decode()
    assert "报名已截止" in page and "确认报名" not in page
    response = client.post(event.url + "signup/", {"party_size": "1"})
    assert response.status_code == 400 and "报名已经截止" in response.content.decode()
    assert not Signup.objects.exists()


def test_anonymous_is_asked_to_log_in(client):
    event = event_create()
    page = client.get(event.url).content.decode()
    assert "登录后报名" in page
    response = client.post(event.url + "signup/", {"party_size": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Signup.objects.exists()


def test_cancel_from_the_event_page_and_the_deadline_message(client, relative):
    event = event_create()
    signup_create(event_id=event.pk, actor=relative)
    client.force_login(relative)
    response = client.post(event.url + "cancel/", follow=True)
    assert "已取消报名" in response.content.decode()
    assert Signup.objects.get().status == "cancelled"

    late = event_create(cancel_deadline=timezone.now() - datetime.timedelta(hours=1))
    signup_create(event_id=late.pk, actor=relative)
    response = client.post(late.url + "cancel/", follow=True)
    assert "取消报名的截止时间" in response.content.decode()
    assert Signup.objects.get(event=late).status == "confirmed"


def test_my_signups_shows_qr_for_confirmed_and_position_for_waiting(client, relative):
    confirmed = event_create(title="春季茶话会")
    full = event_create(title="中秋联欢晚会", capacity=1, party_size_max=1)
    signup_create(event_id=full.pk, actor=UserFactory())
    mine = signup_create(event_id=confirmed.pk, actor=relative)
    signup_create(event_id=full.pk, actor=relative)
    client.force_login(relative)

    text = client.get("/me/events/").content.decode()

    assert "春季茶话会" in text and "中秋联欢晚会" in text
    assert "<svg" in text and mine.code in text
    assert "候补第 1 位" in text


def test_my_signups_cancel_only_own(client, relative, outsider):
    event = event_create()
    theirs = signup_create(event_id=event.pk, actor=outsider)
    client.force_login(relative)
    assert client.post(f"/me/events/{theirs.pk}/cancel/").status_code == 404
    assert Signup.objects.get().status == "confirmed"


def test_list_shows_upcoming_and_past_with_filters(client):
    event_create(title="健康讲座", kind=EventKind.LECTURE)
    event_create(title="春季茶话会", kind=EventKind.TEA_PARTY)
    event_create(
        title="去年的中秋晚会",
        kind=EventKind.GALA,
        starts_at=timezone.now() - datetime.timedelta(days=60),
        signup_closes_at=None,
    )
    event_create(title="草稿活动", publish=False)
    index_url = events_index().url

    upcoming = client.get(index_url).content.decode()
    assert "健康讲座" in upcoming and "春季茶话会" in upcoming
    assert "去年的中秋晚会" not in upcoming and "草稿活动" not in upcoming
    lectures = client.get(index_url, {"kind": "lecture"}).content.decode()
    assert "健康讲座" in lectures and "春季茶话会" not in lectures
    past = client.get(index_url, {"when": "past"}).content.decode()
    assert "去年的中秋晚会" in past and "健康讲座" not in past


def _queries(client, url) -> int:
    client.get(url)  # warm up: image renditions are made on first view, caches filled
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _cover():
    from wagtail.images import get_image_model
    from wagtail.images.tests.utils import get_test_image_file

    return get_image_model().objects.create(title="封面", file=get_test_image_file())


def _events_with_signups(n: int, relative) -> list:
    from tests.factories.households import CommunityFactory

    events = []
    for _ in range(n):
        event = event_create(
            capacity=3, party_size_max=1, cover_image=_cover(), community=CommunityFactory()
        )
        for _ in range(4):
            signup_create(event_id=event.pk, actor=UserFactory())
        signup_create(event_id=event.pk, actor=relative)
        events.append(event)
    return events


def test_list_runs_a_fixed_number_of_queries(client, relative):
    client.force_login(relative)
    _events_with_signups(2, relative)
    index_url = events_index().url
    few = _queries(client, index_url)
    _events_with_signups(6, relative)
    assert _queries(client, index_url) == few


def test_detail_runs_a_fixed_number_of_queries(client, relative):
    client.force_login(relative)
    small = event_create(
        capacity=3, party_size_max=1, questions=[{"label": "饮食", "kind": "text"}]
    )
    signup_create(event_id=small.pk, actor=relative)
    few = _queries(client, small.url)
    big = event_create(
        capacity=3,
        party_size_max=1,
        questions=[{"label": f"问题{i}", "kind": "text"} for i in range(5)],
    )
    signup_create(event_id=big.pk, actor=relative)
    for _ in range(10):
        signup_create(event_id=big.pk, actor=UserFactory())
    assert _queries(client, big.url) == few


def test_calendar_routes_serve_ics_files(client):
    event = event_create(title="中秋联欢晚会")
    single = client.get(event.url + "calendar/")
    assert single.status_code == 200
    assert single["Content-Type"].startswith("text/calendar")
    assert ".ics" in single["Content-Disposition"]
    assert "中秋联欢晚会" in single.content.decode()
    feed = client.get(events_index().url + "feed/")
    assert feed.status_code == 200 and "中秋联欢晚会" in feed.content.decode()
    page = client.get(event.url).content.decode()
    assert f'href="{event.url}calendar/"' in page


def test_my_signups_runs_a_fixed_number_of_queries(client, relative):
    client.force_login(relative)

    def waitlisted_on_new_events(n):
        for _ in range(n):
            event = event_create(capacity=1, party_size_max=1)
            signup_create(event_id=event.pk, actor=UserFactory())
            signup_create(event_id=event.pk, actor=relative)
            confirmed = event_create(capacity=5, party_size_max=1)
            signup_create(event_id=confirmed.pk, actor=relative)

    waitlisted_on_new_events(2)
    few = _queries(client, "/me/events/")
    waitlisted_on_new_events(6)
    assert _queries(client, "/me/events/") == few


def test_home_page_shows_the_next_three_events(client):
    for n, days in enumerate((9, 2, 5, 30)):
        event_create(title=f"活动{n}", starts_at=timezone.now() + datetime.timedelta(days=days))
    event_create(title="草稿", publish=False, starts_at=timezone.now() + datetime.timedelta(days=1))
    text = client.get("/").content.decode()
    assert "近期活动" in text
    shown = [title for title in ("活动1", "活动2", "活动0", "活动3", "草稿") if title in text]
    assert shown == ["活动1", "活动2", "活动0"]
    assert text.index("活动1") < text.index("活动2") < text.index("活动0")
