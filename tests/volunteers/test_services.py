"""Joining the team: applying, paper enrolment, decisions with their notices, numbers, standing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts import sms
from accounts.models import Message
from accounts.roles import Role
from accounts.services import role_group
from core import delivery
from core.models import Notice
from households.models import Member
from tests.factories import UserFactory
from tests.factories.volunteers import application
from volunteers import selectors, services
from volunteers.choices import NOTICE_TOPIC, Level, Status, TimeSlot
from volunteers.models import Volunteer, VolunteerLog, VolunteerSkill
from volunteers.services import SkillChoice, VolunteerRefused

pytestmark = pytest.mark.django_db


def _apply(user, kit, world, **kwargs):
    defaults = {
        "actor": user,
        "name": "王秀英",
        "skills": [SkillChoice(skill_id=kit["repair"].pk, level=Level.EXPERIENCED)],
        "times": TimeSlot.WEEKEND_MORNING | TimeSlot.WEEKDAY_EVENING,
        "community_ids": [world.community_a.pk],
    }
    defaults.update(kwargs)
    return services.volunteer_apply(**defaults)


def _deliver(volunteer: Volunteer, kind: str) -> Notice:
    notice = Notice.objects.get(topic=NOTICE_TOPIC, kind=kind, object_id=volunteer.pk)
    delivery.notice_deliver(notice_id=notice.pk)
    notice.refresh_from_db()
    return notice


def _year() -> int:
    return timezone.localdate().year


# -- applying -----------------------------------------------------------------------------------


def test_an_application_is_pending_linked_to_the_register_and_logged(relative, world, skills):
    volunteer = _apply(relative, skills, world, consent_share_contact=True)

    assert volunteer.status == Status.PENDING
    assert volunteer.user == relative
    assert volunteer.member == world.mA1_relative
    assert volunteer.number is None
    assert volunteer.times == TimeSlot.WEEKEND_MORNING | TimeSlot.WEEKDAY_EVENING
    assert list(volunteer.communities.all()) == [world.community_a]
    assert volunteer.consent_share_contact is True
    assert [(s.skill.name, s.level) for s in volunteer.skills.all()] == [
        ("家电维修", "experienced")
    ]
    assert [(e.action, e.to_status) for e in volunteer.log.all()] == [("applied", "pending")]


def test_a_second_application_while_one_is_pending_is_refused_and_changes_nothing(
    relative, world, skills
):
    first = _apply(relative, skills, world)

    with pytest.raises(VolunteerRefused, match="正在审核"):
        _apply(relative, skills, world, name="改了名字", community_ids=[world.community_b.pk])

    first.refresh_from_db()
    assert first.name == "王秀英"
    assert list(first.communities.all()) == [world.community_a]
    assert Volunteer.objects.count() == 1
    assert VolunteerLog.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"skills": []}, "skills", "至少选择一项技能"),
        ({"times": 0}, "times", "时间段"),
        ({"times": 64}, "times", "无效"),
        ({"community_ids": []}, "communities", "社区"),
        ({"community_ids": [987654]}, "communities", "不存在"),
        ({"name": "  "}, "name", "姓名"),
    ],
)
def test_bad_applications_are_refused_with_the_field(
    relative, world, skills, change, field, message
):
    with pytest.raises(VolunteerRefused, match=message) as refused:
        _apply(relative, skills, world, **change)
    assert refused.value.field == field
    assert Volunteer.objects.count() == 0


def test_a_skill_that_needs_proof_is_refused_without_one_except_for_learners(
    relative, world, skills
):
    medical = skills["medical"]
    with pytest.raises(VolunteerRefused, match="执业证书编号") as refused:
        _apply(relative, skills, world, skills=[SkillChoice(medical.pk, Level.PROFESSIONAL)])
    assert refused.value.field == f"skill_{medical.pk}"
    assert Volunteer.objects.count() == 0

    volunteer = _apply(relative, skills, world, skills=[SkillChoice(medical.pk, Level.LEARNER)])
    assert volunteer.skills.get().level == Level.LEARNER


def test_a_proof_file_goes_to_private_storage_and_bad_files_are_refused(
    relative, world, skills, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "core.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    medical = skills["medical"]
    exe = SimpleUploadedFile("licence.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(VolunteerRefused, match="PDF"):
        _apply(relative, skills, world, skills=[SkillChoice(medical.pk, "professional", "", exe)])
    big = SimpleUploadedFile("licence.pdf", b"0" * (5 * 1024 * 1024 + 1))
    with pytest.raises(VolunteerRefused, match="5 MB"):
        _apply(relative, skills, world, skills=[SkillChoice(medical.pk, "professional", "", big)])

    scan = SimpleUploadedFile("licence.pdf", b"%PDF-1.4 licence", content_type="application/pdf")
    volunteer = _apply(
        relative, skills, world, skills=[SkillChoice(medical.pk, "professional", "", scan)]
    )
    row = VolunteerSkill.objects.get(volunteer=volunteer)
    assert row.proof_file.name.startswith("volunteers/proof/")
    assert (tmp_path / row.proof_file.name).read_bytes() == b"%PDF-1.4 licence"


def test_unknown_or_closed_skills_and_duplicates_are_refused(relative, world, skills):
    closed = skills["photo"]
    closed.is_active = False
    closed.save()
    with pytest.raises(VolunteerRefused, match="停止招募"):
        _apply(relative, skills, world, skills=[SkillChoice(closed.pk, Level.EXPERIENCED)])
    repair = skills["repair"].pk
    with pytest.raises(VolunteerRefused, match="只能选择一次"):
        _apply(
            relative,
            skills,
            world,
            skills=[SkillChoice(repair, Level.EXPERIENCED), SkillChoice(repair, Level.LEARNER)],
        )
    with pytest.raises(VolunteerRefused, match="水平"):
        _apply(relative, skills, world, skills=[SkillChoice(repair, "guru")])


# -- decisions and numbers ----------------------------------------------------------------------


def test_approval_gives_a_number_of_the_year_joins_the_role_and_tells_the_person_once(
    relative, staff, world, skills
):
    relative.phone, relative.phone_verified = "+8613812340001", True
    relative.save()
    volunteer = _apply(relative, skills, world)

    volunteer = services.volunteer_approve(actor=staff, volunteer_id=volunteer.pk)

    assert volunteer.status == Status.ACTIVE
    assert volunteer.number == f"QX{_year()}-0001"
    assert volunteer.decided_by == staff
    assert relative.groups.filter(pk=role_group(Role.VOLUNTEER).pk).exists()
    notice = _deliver(volunteer, "approved")
    assert notice.done_at is not None
    message = Message.objects.get(user=relative)
    assert "义工申请已通过" in message.title
    assert f"QX{_year()}-0001" in message.body
    texts = [m.text for m in sms.outbox if m.phone == "+8613812340001"]
    assert len(texts) == 1 and f"QX{_year()}-0001" in texts[0]
    # the job again (a lost acknowledgement): nothing sent twice
    delivery.notice_deliver(notice_id=notice.pk)
    assert Message.objects.filter(user=relative).count() == 1


def test_numbers_follow_each_other_and_a_rolled_back_approval_gives_its_number_back(
    staff, world, skills, roles
):
    people = [UserFactory(name=f"义工{i}") for i in range(3)]
    pending = [
        application(p, skills=[(skills["repair"], "experienced")], communities=[world.community_a])
        for p in people
    ]

    services.volunteer_approve(actor=staff, volunteer_id=pending[0].pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.volunteer_approve(actor=staff, volunteer_id=pending[1].pk)
        raise RuntimeError("the request failed after the approval")
    services.volunteer_approve(actor=staff, volunteer_id=pending[2].pk)
    services.volunteer_approve(actor=staff, volunteer_id=pending[1].pk)

    numbers = dict(Volunteer.objects.values_list("pk", "number"))
    year = _year()
    assert numbers[pending[0].pk] == f"QX{year}-0001"
    assert numbers[pending[2].pk] == f"QX{year}-0002"
    assert numbers[pending[1].pk] == f"QX{year}-0003"


def test_decline_needs_a_reason_which_the_person_is_told(relative, staff, world, skills):
    volunteer = _apply(relative, skills, world)
    with pytest.raises(VolunteerRefused, match="原因") as refused:
        services.volunteer_decline(actor=staff, volunteer_id=volunteer.pk, reason="  ")
    assert refused.value.field == "reason"

    services.volunteer_decline(
        actor=staff, volunteer_id=volunteer.pk, reason="本年度家电维修义工已满"
    )

    volunteer.refresh_from_db()
    assert volunteer.status == Status.DECLINED and volunteer.number is None
    assert not relative.groups.filter(pk=role_group(Role.VOLUNTEER).pk).exists()
    _deliver(volunteer, "declined")
    assert "本年度家电维修义工已满" in Message.objects.get(user=relative).body


def test_a_decided_application_cannot_be_decided_again(relative, staff, world, skills):
    volunteer = _apply(relative, skills, world)
    services.volunteer_approve(actor=staff, volunteer_id=volunteer.pk)
    with pytest.raises(VolunteerRefused, match="已经处理过"):
        services.volunteer_approve(actor=staff, volunteer_id=volunteer.pk)
    with pytest.raises(VolunteerRefused, match="已经处理过"):
        services.volunteer_decline(actor=staff, volunteer_id=volunteer.pk, reason="x")
    assert Volunteer.objects.get().number == f"QX{_year()}-0001"


def test_only_reviewers_decide(relative, group_leader, cadre, world, skills):
    volunteer = _apply(relative, skills, world)
    for person in (relative, group_leader, cadre):
        with pytest.raises(PermissionDenied):
            services.volunteer_approve(actor=person, volunteer_id=volunteer.pk)
    assert Volunteer.objects.get().status == Status.PENDING


def test_declined_then_applying_again_then_approved_is_told_both_times_and_history_kept(
    relative, staff, world, skills
):
    volunteer = _apply(relative, skills, world)
    services.volunteer_decline(actor=staff, volunteer_id=volunteer.pk, reason="请补充时间")
    again = _apply(relative, skills, world, times=TimeSlot.WEEKDAY_MORNING)
    assert again.pk == volunteer.pk and again.status == Status.PENDING
    services.volunteer_approve(actor=staff, volunteer_id=volunteer.pk)

    assert [e.action for e in reversed(volunteer.log.all())] == [
        "applied",
        "declined",
        "applied",
        "approved",
    ]
    assert Notice.objects.filter(topic=NOTICE_TOPIC, object_id=volunteer.pk).count() == 2


# -- standing -----------------------------------------------------------------------------------


def test_pause_resume_leave_and_rejoin_keep_the_number_and_the_history(
    relative, staff, world, skills
):
    volunteer = services.volunteer_approve(
        actor=staff, volunteer_id=_apply(relative, skills, world).pk
    )
    number = volunteer.number

    services.volunteer_pause(actor=relative, volunteer_id=volunteer.pk, reason="出国探亲三个月")
    with pytest.raises(VolunteerRefused, match="只有在队"):
        services.volunteer_pause(actor=relative, volunteer_id=volunteer.pk)
    services.volunteer_resume(actor=relative, volunteer_id=volunteer.pk)
    services.volunteer_leave(actor=relative, volunteer_id=volunteer.pk, reason="搬家")
    assert not relative.groups.filter(pk=role_group(Role.VOLUNTEER).pk).exists()
    _apply(relative, skills, world)
    volunteer = services.volunteer_approve(actor=staff, volunteer_id=volunteer.pk)

    assert volunteer.number == number
    assert VolunteerLog.objects.filter(volunteer=volunteer, action="paused").get().reason == (
        "出国探亲三个月"
    )
    assert volunteer.log.count() == 7


def test_someone_else_cannot_change_a_volunteers_standing(relative, outsider, staff, world, skills):
    volunteer = services.volunteer_approve(
        actor=staff, volunteer_id=_apply(relative, skills, world).pk
    )
    with pytest.raises(PermissionDenied):
        services.volunteer_pause(actor=outsider, volunteer_id=volunteer.pk)
    services.volunteer_pause(actor=staff, volunteer_id=volunteer.pk, reason="长期联系不上")
    assert Volunteer.objects.get().status == Status.PAUSED


# -- paper applications -------------------------------------------------------------------------


def test_staff_enrol_a_register_member_without_an_account_and_may_approve_at_once(
    staff, world, skills
):
    volunteer = services.volunteer_enrol(
        actor=staff,
        member_id=world.mA2.pk,
        skills=[SkillChoice(skills["calligraphy"].pk, Level.PROFESSIONAL)],
        times=TimeSlot.WEEKDAY_AFTERNOON,
        community_ids=[world.community_a.pk],
        approve=True,
    )
    assert volunteer.user is None and volunteer.member == world.mA2
    assert volunteer.channel == Volunteer.Channel.PAPER
    assert volunteer.status == Status.ACTIVE and volunteer.number == f"QX{_year()}-0001"
    assert [e.action for e in reversed(volunteer.log.all())] == ["enrolled", "approved"]

    with pytest.raises(VolunteerRefused, match="不能重复录入"):
        services.volunteer_enrol(
            actor=staff,
            member_id=world.mA2.pk,
            skills=[SkillChoice(skills["repair"].pk, Level.LEARNER)],
            times=TimeSlot.WEEKDAY_AFTERNOON,
            community_ids=[world.community_a.pk],
        )


def test_enrolment_needs_the_permission_and_the_member_in_scope(group_leader, cadre, world, skills):
    kwargs = {
        "skills": [SkillChoice(skills["repair"].pk, Level.LEARNER)],
        "times": TimeSlot.WEEKDAY_AFTERNOON,
        "community_ids": [world.community_a.pk],
    }
    with pytest.raises(PermissionDenied):
        services.volunteer_enrol(actor=group_leader, member_id=world.mA1b.pk, **kwargs)
    cadre.user_permissions.add(
        *__import__(
            "django.contrib.auth.models", fromlist=["Permission"]
        ).Permission.objects.filter(codename="add_volunteer")
    )
    cadre = type(cadre).objects.get(pk=cadre.pk)  # drop the permission cache
    with pytest.raises(Member.DoesNotExist):
        services.volunteer_enrol(actor=cadre, member_id=world.mB1.pk, **kwargs)
    assert (
        services.volunteer_enrol(actor=cadre, member_id=world.mA2.pk, **kwargs).member == world.mA2
    )


def test_a_paper_volunteer_who_later_gets_an_account_finds_their_record(staff, world, skills):
    volunteer = services.volunteer_enrol(
        actor=staff,
        member_id=world.mA1.pk,
        skills=[SkillChoice(skills["repair"].pk, Level.LEARNER)],
        times=TimeSlot.WEEKDAY_AFTERNOON,
        community_ids=[world.community_a.pk],
        approve=True,
    )
    user = UserFactory(name="陈家豪")
    world.mA1.user = user
    world.mA1.save()

    assert selectors.volunteer_own_for(user) == volunteer
    with pytest.raises(VolunteerRefused, match="已是"):
        _apply(user, skills, world)
    services.volunteer_pause(actor=user, volunteer_id=volunteer.pk)
    assert Volunteer.objects.get().status == Status.PAUSED


# -- scope ---------------------------------------------------------------------------------------


def test_scope_follows_the_register(
    relative, outsider, staff, group_leader, cadre, committee_member, world, skills
):
    mine = _apply(relative, skills, world)  # hA1, community A, grid group A1
    theirs = _apply(outsider, skills, world, name="赵外人")  # hB1, community B
    online_only = _apply(UserFactory(), skills, world, name="无名册")

    def seen(user):
        return set(selectors.volunteer_scope_for(user))

    assert seen(staff) == {mine, theirs, online_only}
    assert seen(group_leader) == {mine}
    assert seen(cadre) == {mine}
    assert seen(committee_member) == {mine}
    assert seen(relative) == set()
    assert seen(outsider) == set()
    with pytest.raises(Volunteer.DoesNotExist):
        selectors.volunteer_access_for(group_leader, theirs.pk)
