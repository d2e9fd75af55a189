"""Sign-up rules: confirm or waitlist, party sizes, audience, windows, cancel and promotion."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from events.models import Signup, SignupLog
from events.pages import Audience, EventQuestion
from events.selectors import event_seats_confirmed, waitlist_position
from events.services import (
    SignupRefused,
    event_waitlist_promote,
    seats_take,
    seats_take_at_once,
    signup_cancel,
    signup_create,
)
from tests.factories import UserFactory
from tests.factories.events import event_create
from tests.factories.households import MemberFactory
from tests.households.conftest import world  # noqa: F401  (the register fixture)

pytestmark = pytest.mark.django_db


def users(n):
    return [UserFactory() for _ in range(n)]


def test_confirmed_while_seats_remain_then_waitlisted_in_order():
    event = event_create(capacity=3, party_size_max=3)
    a, b, c, d = users(4)
    first = signup_create(event_id=event.pk, actor=a, party_size=2)
    second = signup_create(event_id=event.pk, actor=b, party_size=1)
    third = signup_create(event_id=event.pk, actor=c, party_size=1)
    fourth = signup_create(event_id=event.pk, actor=d, party_size=2)
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
    big = signup_create(event_id=event.pk, actor=a, party_size=3)
    waiting_three = signup_create(event_id=event.pk, actor=b, party_size=3)
    waiting_one = signup_create(event_id=event.pk, actor=c, party_size=1)
    waiting_two = signup_create(event_id=event.pk, actor=d, party_size=2)

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
    one = signup_create(event_id=event.pk, actor=a, party_size=1)
    signup_create(event_id=event.pk, actor=UserFactory(), party_size=2)
    three = signup_create(event_id=event.pk, actor=b, party_size=3)
    single = signup_create(event_id=event.pk, actor=c, party_size=1)

    signup_cancel(signup_id=one.pk, actor=a)

    three.refresh_from_db()
    single.refresh_from_db()
    assert three.status == "waitlisted" and waitlist_position(three) == 1
    assert single.status == "confirmed"
    assert event_seats_confirmed(event_id=event.pk) == 3


def test_capacity_growth_promotes_the_waiting_list():
    event = event_create(capacity=2, party_size_max=2)
    a, b, c = users(3)
    signup_create(event_id=event.pk, actor=a, party_size=2)
    waiting = signup_create(event_id=event.pk, actor=b, party_size=2)
    later = signup_create(event_id=event.pk, actor=c)
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
    signup_create(event_id=event.pk, actor=user)
    with pytest.raises(SignupRefused, match="不能重复报名"):
        signup_create(event_id=event.pk, actor=user)
    assert Signup.objects.count() == 1


def test_signing_up_again_after_cancelling_is_allowed():
    event = event_create()
    user = UserFactory()
    first = signup_create(event_id=event.pk, actor=user)
    signup_cancel(signup_id=first.pk, actor=user)
    again = signup_create(event_id=event.pk, actor=user)
    assert again.status == "confirmed"


def test_a_member_signed_up_by_staff_cannot_also_sign_up_as_user(staff):
    event = event_create()
    user = UserFactory()
    member = MemberFactory(user=user)
    signup_create(event_id=event.pk, member_id=member.pk, actor=staff)
    with pytest.raises(SignupRefused, match="不能重复报名"):
        signup_create(event_id=event.pk, actor=user)


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
        signup_create(event_id=event.pk, actor=UserFactory(), party_size=party_size)
    assert refused.value.field == "party_size"
    assert not Signup.objects.exists() and not SignupLog.objects.exists()


def test_alone_events_say_so():
    event = event_create(party_size_max=1)
    with pytest.raises(SignupRefused, match="限本人 1 人"):
        signup_create(event_id=event.pk, actor=UserFactory(), party_size=2)


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
        signup_create(event_id=event.pk, actor=UserFactory())
    assert not Signup.objects.exists()


def test_unpublished_events_take_no_signups():
    event = event_create(publish=False)
    with pytest.raises(SignupRefused, match="尚未发布"):
        signup_create(event_id=event.pk, actor=UserFactory())


def test_registered_relatives_only():
    event = event_create(audience=Audience.RELATIVES)
    with pytest.raises(SignupRefused, match="已登记的侨眷"):
        signup_create(event_id=event.pk, actor=UserFactory())
    member = MemberFactory(user=UserFactory())
    assert signup_create(event_id=event.pk, actor=member.user).member == member


def test_chosen_communities_only():
    inside = MemberFactory(user=UserFactory())
    outside = MemberFactory(user=UserFactory())
    event = event_create(
        audience=Audience.COMMUNITIES, audience_communities=[inside.household.community]
    )
    with pytest.raises(SignupRefused, match=inside.household.community.name):
        signup_create(event_id=event.pk, actor=outside.user)
    assert signup_create(event_id=event.pk, actor=inside.user).status == "confirmed"
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
        signup_create(event_id=event.pk, actor=user, answers={str(diet.pk): "不吃辣"})
    assert refused.value.field == f"q{pickup.pk}"
    with pytest.raises(SignupRefused, match="请从给出的选项中选择"):
        signup_create(
            event_id=event.pk,
            actor=user,
            answers={str(pickup.pk): "是", str(session.pk): "晚上"},
        )
    signup = signup_create(
        event_id=event.pk,
        actor=user,
        answers={str(diet.pk): " 不吃辣 ", str(pickup.pk): "是", str(session.pk): "下午"},
    )
    assert signup.answers == {str(diet.pk): "不吃辣", str(pickup.pk): "是", str(session.pk): "下午"}


def test_cancel_after_the_deadline_is_refused_for_the_person_but_not_for_staff(staff):
    event = event_create(cancel_deadline=timezone.now() - datetime.timedelta(minutes=1))
    user = UserFactory()
    # The deadline has passed but sign-up is still open: signing up works, cancelling doesn't.
    signup = signup_create(event_id=event.pk, actor=user)
    with pytest.raises(SignupRefused, match="截止时间"):
        signup_cancel(signup_id=signup.pk, actor=user)
    signup.refresh_from_db()
    assert signup.status == "confirmed"
    signup_cancel(signup_id=signup.pk, actor=staff)
    signup.refresh_from_db()
    assert signup.status == "cancelled"


def test_cancelling_twice_is_refused():
    event = event_create()
    user = UserFactory()
    signup = signup_create(event_id=event.pk, actor=user)
    signup_cancel(signup_id=signup.pk, actor=user)
    with pytest.raises(SignupRefused, match="已经取消"):
        signup_cancel(signup_id=signup.pk, actor=user)


def test_the_editor_cannot_set_capacity_below_confirmed_seats():
    event = event_create(capacity=5, party_size_max=3)
    signup_create(event_id=event.pk, actor=UserFactory(), party_size=3)
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
    signups = [signup_create(event_id=event.pk, actor=UserFactory()) for _ in range(8)]
    draft.publish()
    event.refresh_from_db()
    assert event.capacity == 6
    assert Signup.objects.filter(pk__in=[s.pk for s in signups], status="confirmed").count() == 8
    assert signup_create(event_id=event.pk, actor=UserFactory()).status == "waitlisted"


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


# -- the waiting list keeps its order whatever changes seats ---------------------------------


def test_a_newcomer_after_a_capacity_change_does_not_jump_the_waiting_list():
    """Wagtail commits a page and only then tells us: seats added by an editor are free for a
    moment before the promotion runs. A newcomer in that moment promotes the waiting list
    first, and waits behind it."""
    from events.models import EventSeats
    from events.pages import EventPage

    event = event_create(capacity=2, party_size_max=1)
    a, b, c, d, newcomer = users(5)
    for person in (a, b):
        signup_create(event_id=event.pk, actor=person)
    waiting = [signup_create(event_id=event.pk, actor=person) for person in (c, d)]
    # the editor's change, committed, with no promotion yet (page_published comes later)
    EventPage.objects.filter(pk=event.pk).update(capacity=3)

    late = signup_create(event_id=event.pk, actor=newcomer)

    assert late.status == "waitlisted"
    first, second = (Signup.objects.get(pk=s.pk) for s in waiting)
    assert (first.status, second.status) == ("confirmed", "waitlisted")
    assert first.logs.filter(action="promote").exists()
    seats = EventSeats.objects.get(pk=event.pk)
    assert (seats.confirmed, seats.waiting) == (3, 2)
    assert event_seats_confirmed(event_id=event.pk) == 3


def test_the_seat_counts_follow_every_change():
    from events.models import EventSeats
    from events.services import event_seats_recount

    event = event_create(capacity=3, party_size_max=2)
    a, b, c, d = users(4)
    pair = signup_create(event_id=event.pk, actor=a, party_size=2)
    signup_create(event_id=event.pk, actor=b)
    waiting = signup_create(event_id=event.pk, actor=c, party_size=2)
    signup_create(event_id=event.pk, actor=d)
    assert (EventSeats.objects.get(pk=event.pk).confirmed, waiting.status) == (3, "waitlisted")
    signup_cancel(signup_id=pair.pk, actor=a)  # frees 2: the waiting pair moves up
    seats = EventSeats.objects.get(pk=event.pk)
    assert (seats.confirmed, seats.waiting) == (3, 1)
    assert event_seats_recount(event_id=event.pk) is False  # the counts agree with the rows
    EventSeats.objects.filter(pk=event.pk).update(confirmed=0)  # a count gone wrong …
    assert event_seats_recount(event_id=event.pk) is True  # … is repaired from the rows
    assert EventSeats.objects.get(pk=event.pk).confirmed == 3


# -- scope: who may sign up whom -------------------------------------------------------------


def test_signing_up_someone_else_needs_the_permission_and_the_scope(world, group_leader):  # noqa: F811
    from households.models import Member

    event = event_create(capacity=5)
    # a relative may not sign up another person
    with pytest.raises(SignupRefused, match="没有为他人报名的权限"):
        signup_create(event_id=event.pk, actor=world.mA1_relative.user, member_id=world.mA2.pk)
    # a group leader signs up people of their group; someone outside it does not exist for them
    assert signup_create(event_id=event.pk, actor=group_leader, member_id=world.mA1.pk)
    with pytest.raises(Member.DoesNotExist):
        signup_create(event_id=event.pk, actor=group_leader, member_id=world.mB1.pk)
    assert not Signup.objects.filter(event=event, member=world.mB1).exists()


def test_cancelling_someone_else_s_signup_is_as_if_it_did_not_exist(world, outsider):  # noqa: F811
    event = event_create(capacity=5)
    mine = signup_create(event_id=event.pk, actor=world.mA1_relative.user)
    with pytest.raises(Signup.DoesNotExist):
        signup_cancel(signup_id=mine.pk, actor=outsider)
    mine.refresh_from_db()
    assert mine.status == "confirmed"


# -- the audience extension point ------------------------------------------------------------


class OnlyApproved:
    """What an app like volunteers registers: a rule for events of its kind."""

    def __init__(self, approved):
        self.approved = approved

    def refusal(self, *, event, user, member):
        if user is None or user.pk not in self.approved:
            return "这是义工服务活动，只有已通过审核的义工可以报名。"
        return None

    def describe(self, *, event):
        return "仅限已通过审核的义工"


def test_another_app_restricts_who_may_sign_up_for_events_of_its_kind(client_for, volunteer):
    from events import audiences
    from events.choices import EventKind

    shift = event_create(kind=EventKind.VOLUNTEER, capacity=5, title="义诊")
    party = event_create(kind=EventKind.TEA_PARTY, capacity=5)
    rule = OnlyApproved(approved={volunteer.pk})
    audiences.register(EventKind.VOLUNTEER, rule)
    try:
        stranger = UserFactory()
        with pytest.raises(SignupRefused, match="只有已通过审核的义工"):
            signup_create(event_id=shift.pk, actor=stranger)
        assert not Signup.objects.filter(event=shift).exists()
        assert signup_create(event_id=shift.pk, actor=volunteer).status == "confirmed"
        assert signup_create(event_id=party.pk, actor=stranger).status == "confirmed"  # other kinds
        # the event page says who may sign up
        assert "仅限已通过审核的义工" in client_for("anonymous").get(shift.url).content.decode()
    finally:
        audiences.unregister(EventKind.VOLUNTEER, rule)
    assert signup_create(event_id=shift.pk, actor=UserFactory()).status == "confirmed"


def test_an_event_without_a_seat_row_gets_one_at_its_next_sign_up():
    """Events published before seat rows existed: the sign-up makes the row from the
    sign-ups, then counts on it."""
    from events.models import EventSeats

    event = event_create(capacity=2, party_size_max=1)
    signup_create(event_id=event.pk, actor=UserFactory())
    EventSeats.objects.filter(pk=event.pk).delete()

    second = signup_create(event_id=event.pk, actor=UserFactory())
    third = signup_create(event_id=event.pk, actor=UserFactory())

    assert (second.status, third.status) == ("confirmed", "waitlisted")
    seats = EventSeats.objects.get(pk=event.pk)
    assert (seats.confirmed, seats.waiting) == (2, 1)


def test_an_unknown_event_is_not_found_and_nothing_is_written():
    from events.pages import EventPage

    with pytest.raises(EventPage.DoesNotExist):
        signup_create(event_id=987654, actor=UserFactory())
    assert not Signup.objects.exists() and not SignupLog.objects.exists()


# -- the seat lock's one statement -----------------------------------------------------------


def _take_at_once(event, party_size):
    """``seats_take_at_once`` in a transaction that is then rolled back: what it returned and the
    seat counts it left (confirmed, waiting)."""
    from events.models import EventSeats

    with transaction.atomic():
        took = seats_take_at_once(event.pk, party_size=party_size)
        counts = EventSeats.objects.filter(pk=event.pk).values_list("confirmed", "waiting").first()
        transaction.set_rollback(True)
    return took, counts


def test_one_statement_takes_the_seats_only_when_nobody_could_move_up_first():
    from events.models import EventSeats
    from events.pages import EventPage

    event = event_create(capacity=3, party_size_max=3)
    EventSeats.objects.filter(pk=event.pk).delete()
    assert _take_at_once(event, 1) == (None, None)  # no seat row: the long way makes it
    signup_create(event_id=event.pk, actor=UserFactory(), party_size=2)  # 2 of 3, nobody waits
    assert _take_at_once(event, 1) == (True, (3, 0))
    assert _take_at_once(event, 2) == (False, (2, 1))  # too many: the waiting list
    signup_create(event_id=event.pk, actor=UserFactory(), party_size=2)  # waits
    # a seat is free and someone waits: the long way, where the waiting list moves up first
    assert _take_at_once(event, 1) == (None, (2, 1))
    signup_create(event_id=event.pk, actor=UserFactory(), party_size=1)  # the last seat
    assert _take_at_once(event, 1) == (False, (3, 2))  # full: nobody can move up
    EventPage.objects.filter(pk=event.pk).update(cancelled=True)
    assert _take_at_once(event, 1) == (None, (3, 1))  # called off: the long way refuses


def test_an_event_called_off_while_the_sign_up_was_checked_takes_nobody():
    from events.models import EventSeats
    from events.pages import EventPage

    event = event_create(capacity=3)
    signup_create(event_id=event.pk, actor=UserFactory())
    checked = EventPage.objects.get(pk=event.pk)  # read and checked before the seat lock
    EventPage.objects.filter(pk=event.pk).update(cancelled=True)  # an editor calls it off

    with pytest.raises(SignupRefused, match="这个活动已取消"), transaction.atomic():
        seats_take(event.pk, event=checked, party_size=1)

    seats = EventSeats.objects.get(pk=event.pk)
    assert (seats.confirmed, seats.waiting) == (1, 0)
