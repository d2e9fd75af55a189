"""Mutual help: asking, matching, taking (first wins), doing, confirming, cancelling, and the
matched pair's contact."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import sms
from accounts.models import Message
from core import delivery
from core.models import Notice
from households.models import AccessLog, Household
from tests.factories import UserFactory
from tests.factories.volunteers import volunteer_approved
from volunteers import selectors, services
from volunteers.choices import REQUEST_TOPIC, Level, RequestStatus, TimeSlot, Urgency
from volunteers.models import HelpRequest
from volunteers.services import VolunteerRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def helpers(world, staff, skills):
    """Three approved repair volunteers: 甲 professional serving A, 乙 experienced serving B,
    丙 learner serving A; and 丁 a photographer."""
    made = {}
    for key, level, community, skill in [
        ("jia", Level.PROFESSIONAL, world.community_a, "repair"),
        ("yi", Level.EXPERIENCED, world.community_b, "repair"),
        ("bing", Level.LEARNER, world.community_a, "repair"),
        ("ding", Level.EXPERIENCED, world.community_a, "photo"),
    ]:
        user = UserFactory(name=key, phone=f"+8615800000{len(made):03d}", phone_verified=True)
        made[key] = volunteer_approved(
            user, staff=staff, skills=[skills[skill]], communities=[community], level=level
        )
    return made


def _ask(actor, world, skills, **kwargs):
    fields = {
        "actor": actor,
        "household_id": world.hA1.pk,
        "skill_id": skills["repair"].pk,
        "title": "洗衣机不脱水",
        "details": "滚筒洗衣机，用了八年",
        "times": TimeSlot.WEEKEND_MORNING,
        "urgency": Urgency.SOON,
    }
    fields.update(kwargs)
    return services.help_request_create(**fields)


def test_a_relative_asks_for_their_own_household(relative, world, skills):
    request = _ask(relative, world, skills)
    assert request.status == RequestStatus.OPEN
    assert request.household == world.hA1 and request.community == world.community_a
    assert not request.on_behalf
    assert (request.due_at - request.created_at).days in (2, 3)
    assert [e.action for e in request.log.all()] == ["created"]


def test_a_group_leader_asks_on_behalf_of_a_household_they_look_after(group_leader, world, skills):
    request = _ask(group_leader, world, skills, household_id=world.hA1b.pk)
    assert request.on_behalf and request.requested_by == group_leader
    with pytest.raises(Household.DoesNotExist):
        _ask(group_leader, world, skills, household_id=world.hB1.pk)


def test_a_relative_cannot_ask_for_another_household(relative, world, skills):
    with pytest.raises(PermissionDenied):
        _ask(relative, world, skills, household_id=world.hA2.pk)
    assert not HelpRequest.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "长" * 61}, "title"),
        ({"details": "长" * 1001}, "details"),
        ({"skill_id": 0}, "skill"),
        ({"urgency": "whenever"}, "urgency"),
        ({"times": 0}, "times"),
    ],
)
def test_bad_requests_are_refused(relative, world, skills, change, field):
    with pytest.raises(VolunteerRefused) as refused:
        _ask(relative, world, skills, **change)
    assert refused.value.field == field
    assert not HelpRequest.objects.exists()


def test_proposals_rank_community_then_level_then_time_then_load(
    relative, staff, world, skills, helpers
):
    request = _ask(relative, world, skills)
    ranked = selectors.volunteers_proposed(user=staff, request=request)
    assert [p.volunteer for p in ranked] == [helpers["jia"], helpers["bing"], helpers["yi"]]
    jia = ranked[0]
    assert jia.reasons[:2] == ["专业", "同社区"]
    assert "手头 0 件" in jia.reasons

    # 甲 gets busy with two requests; the ranking says so, and a learner of the same
    # community still comes after a professional (level before load)
    for title in ("空调漏水", "热水器不出热水"):
        other = _ask(relative, world, skills, title=title)
        services.help_request_assign(
            actor=staff, request_id=other.pk, volunteer_id=helpers["jia"].pk
        )
    ranked = selectors.volunteers_proposed(user=staff, request=request)
    assert ranked[0].load == 2 and "手头 2 件" in ranked[0].reasons


def test_a_volunteer_takes_an_open_request_and_the_second_is_told(relative, world, skills, helpers):
    request = _ask(relative, world, skills)
    jia, bing = helpers["jia"], helpers["bing"]

    services.help_request_take(actor=jia.user, request_id=request.pk)
    with pytest.raises(VolunteerRefused, match="已经有义工接下"):
        services.help_request_take(actor=bing.user, request_id=request.pk)

    request.refresh_from_db()
    assert request.volunteer == jia and request.status == RequestStatus.ASSIGNED
    kinds = set(Notice.objects.filter(topic=REQUEST_TOPIC).values_list("kind", flat=True))
    assert kinds == {"assigned", "taken"}


def test_a_volunteer_without_the_skill_cannot_take_it(relative, world, skills, helpers):
    request = _ask(relative, world, skills)
    with pytest.raises(VolunteerRefused, match="没有登记"):
        services.help_request_take(actor=helpers["ding"].user, request_id=request.pk)
    with pytest.raises(VolunteerRefused, match="在队的义工"):
        services.help_request_take(actor=relative, request_id=request.pk)
    assert HelpRequest.objects.get().status == RequestStatus.OPEN


def test_staff_assign_only_a_fitting_volunteer(relative, staff, world, skills, helpers):
    request = _ask(relative, world, skills)
    with pytest.raises(VolunteerRefused, match="没有登记"):
        services.help_request_assign(
            actor=staff, request_id=request.pk, volunteer_id=helpers["ding"].pk
        )
    services.volunteer_pause(actor=staff, volunteer_id=helpers["yi"].pk)
    with pytest.raises(VolunteerRefused, match="不在服务状态"):
        services.help_request_assign(
            actor=staff, request_id=request.pk, volunteer_id=helpers["yi"].pk
        )
    with pytest.raises(PermissionDenied):
        services.help_request_assign(
            actor=relative, request_id=request.pk, volunteer_id=helpers["jia"].pk
        )


def _deliver_owed() -> None:
    for notice in Notice.objects.filter(topic=REQUEST_TOPIC, done_at=None):
        delivery.notice_deliver(notice_id=notice.pk)


def test_the_whole_way_with_notices_to_each_side(relative, world, skills, helpers):
    relative.phone, relative.phone_verified = "+8613812340001", True
    relative.save()
    request = _ask(relative, world, skills)
    jia = helpers["jia"]
    services.help_request_take(actor=jia.user, request_id=request.pk)
    _deliver_owed()
    services.help_request_done(actor=jia.user, request_id=request.pk, note="换了排水泵")
    _deliver_owed()
    with pytest.raises(VolunteerRefused, match="1 到 5"):
        services.help_request_confirm(actor=relative, request_id=request.pk, rating=9)
    services.help_request_confirm(actor=relative, request_id=request.pk, rating=5, feedback="很好")

    request.refresh_from_db()
    assert request.status == RequestStatus.CONFIRMED and request.rating == 5
    assert [e.action for e in request.log.all()] == ["created", "taken", "done", "confirmed"]
    to_relative = list(
        Message.objects.filter(user=relative).order_by("pk").values_list("title", flat=True)
    )
    assert to_relative == ["已安排义工", "义工已完成"]
    assert list(Message.objects.filter(user=jia.user).values_list("title", flat=True)) == [
        "新的互助任务"
    ]
    texts = [m.text for m in sms.outbox if m.phone == "+8613812340001"]
    assert len(texts) == 2 and "洗衣机不脱水" in texts[0]


def test_cancelling_tells_the_assigned_volunteer(relative, world, skills, helpers):
    request = _ask(relative, world, skills)
    jia = helpers["jia"]
    services.help_request_take(actor=jia.user, request_id=request.pk)
    services.help_request_cancel(actor=relative, request_id=request.pk, reason="自己修好了")
    notice = Notice.objects.get(topic=REQUEST_TOPIC, kind="cancelled")
    delivery.notice_deliver(notice_id=notice.pk)
    assert Message.objects.get(user=jia.user).title == "需求已取消"
    with pytest.raises(VolunteerRefused, match="不能取消"):
        services.help_request_cancel(actor=relative, request_id=request.pk)


def test_a_volunteer_may_give_a_request_back(relative, world, skills, helpers):
    request = _ask(relative, world, skills)
    services.help_request_take(actor=helpers["jia"].user, request_id=request.pk)
    with pytest.raises(HelpRequest.DoesNotExist):  # another volunteer: not theirs to see
        services.help_request_release(actor=helpers["bing"].user, request_id=request.pk)
    services.help_request_release(actor=helpers["jia"].user, request_id=request.pk, reason="出差")
    services.help_request_take(actor=helpers["bing"].user, request_id=request.pk)
    assert HelpRequest.objects.get().volunteer == helpers["bing"]


def test_someone_outside_cannot_confirm_or_cancel(relative, outsider, world, skills, helpers):
    request = _ask(relative, world, skills)
    services.help_request_take(actor=helpers["jia"].user, request_id=request.pk)
    with pytest.raises(HelpRequest.DoesNotExist):
        services.help_request_confirm(actor=outsider, request_id=request.pk, rating=1)
    with pytest.raises(HelpRequest.DoesNotExist):
        services.help_request_cancel(actor=outsider, request_id=request.pk)
    # the volunteer serves it but does not speak for the household
    with pytest.raises(PermissionDenied):
        services.help_request_confirm(actor=helpers["jia"].user, request_id=request.pk, rating=5)


# -- the matched pair's contact ----------------------------------------------------------------


def test_only_the_matched_pair_see_contacts_and_each_showing_is_logged(
    client_for, client, relative, world, skills, helpers
):
    relative.phone_verified = False  # the volunteer gets the household's phone
    relative.save()
    request = _ask(relative, world, skills)
    jia = helpers["jia"]
    jia.consent_share_contact = True
    jia.save()
    url = reverse("volunteers:request_contact", args=[request.pk])
    relative_client = client_for("relative")
    assert relative_client.post(url).status_code == 404  # no volunteer yet

    services.help_request_take(actor=jia.user, request_id=request.pk)
    html = relative_client.post(url).content.decode()
    assert jia.user.phone[-4:] in html.replace(" ", "")

    client.force_login(jia.user)
    html = client.post(url).content.decode()
    assert world.hA1.address in html
    assert "12345678" in html.replace(" ", "")  # the household's phone, in full
    assert AccessLog.objects.filter(object_type="help_request", action="unmask").count() == 2

    client.force_login(helpers["bing"].user)  # another volunteer
    assert client.post(url).status_code == 404


def test_a_volunteer_who_did_not_consent_keeps_their_number(
    client_for, relative, world, skills, helpers
):
    request = _ask(relative, world, skills)
    jia = helpers["jia"]
    services.help_request_take(actor=jia.user, request_id=request.pk)
    html = (
        client_for("relative")
        .post(reverse("volunteers:request_contact", args=[request.pk]))
        .content.decode()
    )
    assert "没有同意公开电话" in html
    assert jia.user.phone[-4:] not in html


# -- screens ------------------------------------------------------------------------------------


def test_relative_asks_through_the_form_and_a_refusal_comes_back_filled_in(
    client_for, world, skills
):
    client = client_for("relative")
    assert client.get(reverse("volunteers:request_new")).status_code == 200
    data = {"skill": skills["repair"].pk, "title": "", "details": "用了八年", "urgency": "soon"}
    response = client.post(reverse("volunteers:request_new"), data)
    assert response.status_code == 400 and "用了八年" in response.content.decode()
    data |= {"title": "洗衣机不脱水", "times": [str(TimeSlot.WEEKEND_MORNING)]}
    response = client.post(reverse("volunteers:request_new"), data)
    request = HelpRequest.objects.get()
    assert response["Location"] == reverse("volunteers:request_detail", args=[request.pk])
    listing = client.get(reverse("volunteers:requests")).content.decode()
    assert "洗衣机不脱水" in listing


def test_someone_without_a_household_is_told_whom_to_ask(client_for, world):
    response = client_for("outsider").get(reverse("volunteers:request_new"))
    assert response.status_code == 200  # the outsider has a household (hB1)
    response = client_for("volunteer").get(reverse("volunteers:request_new"))
    assert response.status_code == 403
    assert "小组长" in response.content.decode()


def test_the_volunteer_sees_open_requests_for_their_skills_and_takes_one(
    client, relative, world, skills, helpers
):
    request = _ask(relative, world, skills)
    photo = _ask(relative, world, skills, skill_id=skills["photo"].pk, title="拍全家福")
    client.force_login(helpers["jia"].user)
    html = client.get(reverse("volunteers:tasks")).content.decode()
    assert "洗衣机不脱水" in html and "拍全家福" not in html
    response = client.post(reverse("volunteers:request_action", args=[request.pk, "take"]))
    assert response.status_code == 302
    client.force_login(helpers["bing"].user)
    response = client.post(
        reverse("volunteers:request_action", args=[request.pk, "take"]), follow=True
    )
    assert "已经有义工接下" in response.content.decode()
    assert HelpRequest.objects.get(pk=request.pk).volunteer == helpers["jia"]
    del photo


def test_staff_see_proposals_and_assign_in_the_admin(client_for, relative, world, skills, helpers):
    request = _ask(relative, world, skills)
    client = client_for("staff")
    listing = client.get(reverse("volunteers_admin_requests")).content.decode()
    assert "洗衣机不脱水" in listing
    html = client.get(reverse("volunteers_admin_request", args=[request.pk])).content.decode()
    # 甲 (same community, professional) is proposed before 乙 (another community)
    assert html.index(f'id="v{helpers["jia"].pk}"') < html.index(f'id="v{helpers["yi"].pk}"')
    assert "同社区" in html
    client.post(
        reverse("volunteers_admin_request_assign", args=[request.pk]),
        {"volunteer": helpers["yi"].pk},
    )
    assert HelpRequest.objects.get().volunteer == helpers["yi"]
