"""Sign-up rules: confirm or waitlist, party sizes, audience, windows, cancel and promotion."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from events.models import Audience, EventQuestion, Signup, SignupLog
from events.selectors import event_seats_confirmed, waitlist_position
from events.services import (
    SignupRefused,
    event_waitlist_promote,
    signup_cancel,
    signup_create,
)
from tests.factories import UserFactory
from tests.factories.events import event_create
from tests.factories.households import MemberFactory

pytestmark = pytest.mark.django_db


def users(n):
    return [UserFactory() for _ in range(n)]


def test_confirmed_while_seats_remain_then_waitlisted_in_order():
    event = event_create(capacity=3, party_size_max=3)
    a, b, c, d = users(4)
    first = signup_create(event_id=event.pk, user=a, party_size=2)
    second = signup_create(event_id=event.pk, user=b, party_size=1)
    third = signup_create(event_id=event.pk, user=c, party_size=1)
    fourth = signup_create(event_id=event.pk, user=d, party_size=2)
    assert [s.status for s in (first, second, third, fourth)] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    assert event_seats_confirmed(event_id=event.pk) == 3
    assert waitlist_position(third) == 1
    assert waitlist_position(fourth) == 2
    assert first.code != second.code and len(first.code) == 8
    assert SignupLog.objects.filter(action="create").count() == 4


def test_cancel_promotes_in_order_respecting_party_sizes():
    event = event_create(capacity=3, party_size_max=3)
    a, b, c, d = users(4)
    big = signup_create(event_id=event.pk, user=a, party_size=3)
    waiting_three = signup_create(event_id=event.pk, user=b, party_size=3)
    waiting_one = signup_create(event_id=event.pk, user=c, party_size=1)
    waiting_two = signup_create(event_id=event.pk, user=d, party_size=2)

    signup_cancel(signup_id=big.pk, actor=a)

    statuses = dict(Signup.objects.values_list("pk", "status"))
    assert statuses[big.pk] == "cancelled"
    assert statuses[waiting_three.pk] == "confirmed"  # the head of the list fits: first
    assert statuses[waiting_one.pk] == "waitlisted"
    assert statuses[waiting_two.pk] == "waitlisted"
    assert event_seats_confirmed(event_id=event.pk) == 3


def test_a_party_too_large_keeps_its_place_and_smaller_ones_take_the_seat():
    event = event_create(capacity=3, party_size_max=3)
    a, b, c = users(3)
    one = signup_create(event_id=event.pk, user=a, party_size=1)
    signup_create(event_id=event.pk, user=UserFactory(), party_size=2)
    three = signup_create(event_id=event.pk, user=b, party_size=3)
    single = signup_create(event_id=event.pk, user=c, party_size=1)

    signup_cancel(signup_id=one.pk, actor=a)

    three.refresh_from_db()
    single.refresh_from_db()
    assert three.status == "waitlisted" and waitlist_position(three) == 1
    assert single.status == "confirmed"
    assert event_seats_confirmed(event_id=event.pk) == 3


def test_capacity_growth_promotes_the_waiting_list():
    event = event_create(capacity=2, party_size_max=2)
    a, b, c = users(3)
    signup_create(event_id=event.pk, user=a, party_size=2)
    waiting = signup_create(event_id=event.pk, user=b, party_size=2)
    later = signup_create(event_id=event.pk, user=c)
    event.capacity = 4
    event.save_revision().publish()  # publishing promotes (events.receivers)

    waiting.refresh_from_db()
    later.refresh_from_db()
    assert waiting.status == "confirmed"
    assert event_waitlist_promote(event_id=event.pk) == []
    assert later.status == "waitlisted"  # 2 + 2 = 4 seats: full again


def test_one_active_signup_per_person():
    event = event_create()
    user = UserFactory()
    signup_create(event_id=event.pk, user=user)
    with pytest.raises(SignupRefused, match="不能重复报名"):
        signup_create(event_id=event.pk, user=user)
    assert Signup.objects.count() == 1


def test_signing_up_again_after_cancelling_is_allowed():
    event = event_create()
    user = UserFactory()
    first = signup_create(event_id=event.pk, user=user)
    signup_cancel(signup_id=first.pk, actor=user)
    again = signup_create(event_id=event.pk, user=user)
    assert again.status == "confirmed"


def test_a_member_signed_up_by_staff_cannot_also_sign_up_as_user(staff):
    event = event_create()
    user = UserFactory()
    member = MemberFactory(user=user)
    signup_create(event_id=event.pk, member=member, actor=staff)
    with pytest.raises(SignupRefused, match="不能重复报名"):
        signup_create(event_id=event.pk, user=user)


@pytest.mark.parametrize(
    ("party_size", "message"),
    [
        (0, "至少为 1 人"),
        (-1, "至少为 1 人"),
        (4, "最多 3 人"),
        ("两", "请填写参加人数"),
        ("", "请填写参加人数"),
    ],
)
def test_bad_party_sizes_are_refused_and_nothing_is_written(party_size, message):
    event = event_create(party_size_max=3)
    with pytest.raises(SignupRefused, match=message) as refused:
        signup_create(event_id=event.pk, user=UserFactory(), party_size=party_size)
    assert refused.value.field == "party_size"
    assert not Signup.objects.exists() and not SignupLog.objects.exists()


def test_alone_events_say_so():
    event = event_create(party_size_max=1)
    with pytest.raises(SignupRefused, match="限本人 1 人"):
        signup_create(event_id=event.pk, user=UserFactory(), party_size=2)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"signup_closes_at": timezone.now() - datetime.timedelta(hours=1)}, "报名已经截止"),
        ({"signup_opens_at": timezone.now() + datetime.timedelta(days=1)}, "报名尚未开始"),
        ({"cancelled": True}, "已取消"),
        (
            {
                "starts_at": timezone.now() - datetime.timedelta(days=2),
                "signup_closes_at": None,
            },
            "已经结束",
        ),
    ],
)
def test_outside_the_signup_window_is_refused(fields, message):
    event = event_create(**fields)
    with pytest.raises(SignupRefused, match=message):
        signup_create(event_id=event.pk, user=UserFactory())
    assert not Signup.objects.exists()


def test_unpublished_events_take_no_signups():
    event = event_create(publish=False)
    with pytest.raises(SignupRefused, match="尚未发布"):
        signup_create(event_id=event.pk, user=UserFactory())


def test_registered_relatives_only():
    event = event_create(audience=Audience.RELATIVES)
    with pytest.raises(SignupRefused, match="已登记的侨眷"):
        signup_create(event_id=event.pk, user=UserFactory())
    member = MemberFactory(user=UserFactory())
    assert signup_create(event_id=event.pk, user=member.user).member == member


def test_chosen_communities_only():
    inside = MemberFactory(user=UserFactory())
    outside = MemberFactory(user=UserFactory())
    event = event_create(
        audience=Audience.COMMUNITIES, audience_communities=[inside.household.community]
    )
    with pytest.raises(SignupRefused, match=inside.household.community.name):
        signup_create(event_id=event.pk, user=outside.user)
    assert signup_create(event_id=event.pk, user=inside.user).status == "confirmed"
    assert Signup.objects.count() == 1


def test_answers_are_checked_and_kept():
    event = event_create(
        questions=[
            {"label": "饮食禁忌", "kind": EventQuestion.Kind.TEXT},
            {"label": "需要接送", "kind": EventQuestion.Kind.YES_NO, "required": True},
            {"label": "场次", "kind": EventQuestion.Kind.CHOICE, "choices": "上午、下午"},
        ]
    )
    diet, pickup, session = event.questions.order_by("sort_order")
    user = UserFactory()
    with pytest.raises(SignupRefused, match="请回答“需要接送”") as refused:
        signup_create(event_id=event.pk, user=user, answers={str(diet.pk): "不吃辣"})
    assert refused.value.field == f"q{pickup.pk}"
    with pytest.raises(SignupRefused, match="请从给出的选项中选择"):
        signup_create(
            event_id=event.pk,
            user=user,
            answers={str(pickup.pk): "是", str(session.pk): "晚上"},
        )
    signup = signup_create(
        event_id=event.pk,
        user=user,
        answers={str(diet.pk): " 不吃辣 ", str(pickup.pk): "是", str(session.pk): "下午"},
    )
    assert signup.answers == {str(diet.pk): "不吃辣", str(pickup.pk): "是", str(session.pk): "下午"}


def test_cancel_after_the_deadline_is_refused_for_the_person_but_not_for_staff(staff):
    event = event_create(cancel_deadline=timezone.now() - datetime.timedelta(minutes=1))
    user = UserFactory()
    # The deadline has passed but sign-up is still open: signing up works, cancelling doesn't.
    signup = signup_create(event_id=event.pk, user=user)
    with pytest.raises(SignupRefused, match="截止时间"):
        signup_cancel(signup_id=signup.pk, actor=user)
    signup.refresh_from_db()
    assert signup.status == "confirmed"
    signup_cancel(signup_id=signup.pk, actor=staff, staff=True)
    signup.refresh_from_db()
    assert signup.status == "cancelled"


def test_cancelling_twice_is_refused():
    event = event_create()
    user = UserFactory()
    signup = signup_create(event_id=event.pk, user=user)
    signup_cancel(signup_id=signup.pk, actor=user)
    with pytest.raises(SignupRefused, match="已经取消"):
        signup_cancel(signup_id=signup.pk, actor=user)


def test_the_editor_cannot_set_capacity_below_confirmed_seats():
    event = event_create(capacity=5, party_size_max=3)
    signup_create(event_id=event.pk, user=UserFactory(), party_size=3)
    form_class = event.get_edit_handler().get_form_class()
    data = _page_form_data(event, capacity="2")
    form = form_class(data, instance=event, parent_page=event.get_parent())
    assert not form.is_valid()
    assert "已有 3 人确认参加" in str(form.errors["capacity"])
    form = form_class(
        _page_form_data(event, capacity="3"), instance=event, parent_page=event.get_parent()
    )
    assert form.is_valid(), form.errors


def test_a_stale_draft_with_less_capacity_still_publishes_and_demotes_nobody():
    event = event_create(capacity=10, party_size_max=1)
    event.capacity = 6
    draft = event.save_revision()  # written while 5 were confirmed
    signups = [signup_create(event_id=event.pk, user=UserFactory()) for _ in range(8)]
    draft.publish()
    event.refresh_from_db()
    assert event.capacity == 6
    assert Signup.objects.filter(pk__in=[s.pk for s in signups], status="confirmed").count() == 8
    assert signup_create(event_id=event.pk, user=UserFactory()).status == "waitlisted"


def _page_form_data(event, **overrides):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data

    local = timezone.localtime
    data = {
        "title": event.title,
        "slug": event.slug,
        "kind": event.kind,
        "starts_at": local(event.starts_at).strftime("%Y-%m-%d %H:%M"),
        "ends_at": local(event.ends_at).strftime("%Y-%m-%d %H:%M"),
        "place": event.place,
        "capacity": str(event.capacity),
        "party_size_max": str(event.party_size_max),
        "audience": event.audience,
        "questions": inline_formset([]),
    }
    data.update(overrides)
    return nested_form_data(data)
