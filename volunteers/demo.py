"""Demo data for the care volunteer team: the skills, and about sixty volunteers enrolled and
decided through the services as the office would (most on the team, some waiting for review,
one declined, a few paused or gone), plus the demo volunteer persona (李建国) approved with a
number. The demo relative (王秀英) is left out, so that applying can be tried with that login.
Running it again changes nothing that is there."""

from __future__ import annotations

import random

from django.db import transaction

from accounts.models import User
from core import notices
from events.choices import NOTICE_TOPIC as EVENT_NOTICE_TOPIC
from events.choices import EventKind
from events.pages import EventPage
from events.selectors import events_index
from households.models import Community, Household
from households.selectors import member_scope_for

from .choices import NOTICE_TOPIC, REQUEST_TOPIC, Level, Status, TimeSlot, Urgency
from .models import HelpRequest, ShiftSlot, Skill, SlotTaking, Volunteer
from .services import (
    SkillChoice,
    certificate_issue,
    help_request_assign,
    help_request_cancel,
    help_request_confirm,
    help_request_create,
    help_request_done,
    hours_confirm,
    hours_log,
    shift_slots_set,
    slot_take,
    volunteer_apply,
    volunteer_approve,
    volunteer_decline,
    volunteer_enrol,
    volunteer_leave,
    volunteer_pause,
)

ORDER = 50
TEAM_SIZE = 60

#: (name, description, needs proof, proof hint)
SKILLS = [
    ("医疗护理", "量血压、用药指导、简单护理", True, "医师或护士执业证书编号"),
    ("法律咨询", "房屋、继承、涉侨权益等法律问题", True, "律师执业证号"),
    ("家电维修", "洗衣机、空调、热水器等小修", False, ""),
    ("摄影", "活动拍照、为老人拍证件照", False, ""),
    ("书法", "春联、书法课", False, ""),
    ("英语辅导", "孩子功课、出国材料翻译", False, ""),
    ("心理陪伴", "陪空巢老人聊天、情绪疏导", False, ""),
    ("电脑手机教学", "教老人用手机、视频通话", False, ""),
]

LEVELS = [Level.PROFESSIONAL, Level.EXPERIENCED, Level.EXPERIENCED, Level.LEARNER]
TIMES = list(TimeSlot.values)


def _skills() -> list[Skill]:
    skills = []
    for order, (name, description, needs_proof, hint) in enumerate(SKILLS):
        skill, _ = Skill.objects.update_or_create(
            name=name,
            defaults={
                "description": description,
                "needs_proof": needs_proof,
                "proof_hint": hint,
                "sort_order": order,
            },
        )
        skills.append(skill)
    return skills


def _choices(rng: random.Random, skills: list[Skill]) -> list[SkillChoice]:
    picked = rng.sample(skills, k=rng.choice([1, 1, 2, 2, 3]))
    choices = []
    for skill in picked:
        level = rng.choice(LEVELS)
        proof = f"{rng.randrange(10**11, 10**12)}" if skill.needs_proof else ""
        choices.append(SkillChoice(skill.pk, level, proof))
    return choices


def _times(rng: random.Random) -> int:
    mask = 0
    for bit in rng.sample(TIMES, k=rng.randint(1, 4)):
        mask |= bit
    return mask


@transaction.atomic
def seed(*, stdout, options: dict | None = None) -> list:
    rng = random.Random(20270101)
    skills = _skills()
    staff = User.objects.filter(username="demo_staff").first()
    if staff is None:
        stdout.write("volunteers: no demo staff; skipped.")
        return []
    made = 0
    register = member_scope_for(staff)

    persona = User.objects.filter(username="demo_volunteer").first()
    if persona is not None and not Volunteer.objects.filter(user=persona).exists():
        # the skills: appliance repair (professional) and photography
        community = Community.objects.order_by("sort_order", "pk").first()
        volunteer = volunteer_apply(
            actor=persona,
            name=persona.name,
            skills=[
                SkillChoice(skills[2].pk, Level.PROFESSIONAL),
                SkillChoice(skills[3].pk, Level.EXPERIENCED),
            ],
            times=TimeSlot.WEEKEND_MORNING | TimeSlot.WEEKEND_AFTERNOON,
            community_ids=[community.pk] if community else [],
            consent_share_contact=True,
            on_honour_roll=True,
            motivation="退休前在家电厂做维修，周末有空。",
        )
        volunteer_approve(actor=staff, volunteer_id=volunteer.pk)
        made += 1

    have = Volunteer.objects.filter(channel=Volunteer.Channel.PAPER).count()
    candidates = (
        register.filter(
            household__key__startswith="DEMO-",
            household__status=Household.Status.ACTIVE,
            lives_abroad=False,
            is_deceased=False,
            volunteer__isnull=True,
        )
        .exclude(user__username__in=["demo_relative", "demo_volunteer"])
        .select_related("household")
        .order_by("pk")
    )
    pool = list(candidates[: TEAM_SIZE * 10])
    rng.shuffle(pool)
    for member in pool[: max(0, TEAM_SIZE - have)]:
        fate = rng.random()
        volunteer = volunteer_enrol(
            actor=staff,
            member_id=member.pk,
            skills=_choices(rng, skills),
            times=_times(rng),
            community_ids=[member.household.community_id],
            consent_share_contact=rng.random() < 0.7,
            on_honour_roll=rng.random() < 0.5,
            approve=fate >= 0.12,
        )
        if fate < 0.1:
            pass  # waiting for review
        elif fate < 0.12:
            volunteer_decline(
                actor=staff, volunteer_id=volunteer.pk, reason="所选社区本季度暂不需要该技能"
            )
        elif fate < 0.17:
            volunteer_pause(actor=staff, volunteer_id=volunteer.pk, reason="外出探亲")
        elif fate < 0.2:
            volunteer_leave(actor=staff, volunteer_id=volunteer.pk, reason="搬离本街道")
        made += 1
    requests_made = _help_requests(rng, staff, register)
    clinic = _monthly_clinic(rng, staff)
    hours_made = _a_year_of_hours(rng, staff)
    certificates = _certificates(staff)
    _team_page(staff)
    # Made-up people get no text or mail: what the demo owes them is closed unsent.
    notices.notices_discard(
        topic=NOTICE_TOPIC, object_ids=Volunteer.objects.values_list("pk", flat=True)
    )
    notices.notices_discard(
        topic=REQUEST_TOPIC, object_ids=HelpRequest.objects.values_list("pk", flat=True)
    )
    notices.notices_discard(
        topic=EVENT_NOTICE_TOPIC,
        object_ids=SlotTaking.objects.exclude(signup=None).values_list("signup_id", flat=True),
    )
    counts = {s: Volunteer.objects.filter(status=s).count() for s in Status.values}
    stdout.write(
        f"volunteers: {len(skills)} skills; {made} volunteers added "
        f"({counts['active']} on the team, {counts['pending']} waiting for review); "
        f"{requests_made} help requests added; shift: {clinic}; {hours_made} hours entries; "
        f"{certificates} certificates issued."
    )
    return []


#: (skill, title, details, urgency, what happened)
REQUESTS = [
    ("家电维修", "洗衣机不脱水", "滚筒洗衣机用了八年，最近甩干时不转。", Urgency.SOON, "confirmed"),
    ("家电维修", "空调遥控器失灵", "换了电池也没反应。", Urgency.NORMAL, "confirmed"),
    ("法律咨询", "道路施工震裂了房屋墙面，想问怎么索赔", "", Urgency.SOON, "done"),
    (
        "医疗护理",
        "独居老人需要每周量一次血压",
        "老人82岁，子女在国外。",
        Urgency.NORMAL,
        "assigned",
    ),
    ("电脑手机教学", "想学用手机和国外的孙子视频", "", Urgency.NORMAL, "assigned"),
    ("摄影", "金婚纪念想拍一张全家福", "", Urgency.NORMAL, "confirmed"),
    ("英语辅导", "孩子出国留学材料需要翻译", "", Urgency.URGENT, "open"),
    ("书法", "春节前想请人写春联", "", Urgency.NORMAL, "open"),
    ("心理陪伴", "老伴去世后情绪低落，想有人常来聊聊", "", Urgency.SOON, "open"),
    ("家电维修", "热水器打不着火", "", Urgency.URGENT, "open"),
    ("法律咨询", "侨汇继承手续怎么办", "", Urgency.NORMAL, "cancelled"),
    ("家电维修", "冰箱有异响", "", Urgency.NORMAL, "confirmed"),
]


def _help_requests(rng: random.Random, staff: User, register) -> int:
    """Requests as group leaders and staff enter them for households, in every state, each
    matched to the first volunteer proposed (as the office would)."""
    from .selectors import volunteers_proposed

    if HelpRequest.objects.exists():
        return 0
    households = list(
        register.filter(household__key__startswith="DEMO-", household__status="active")
        .exclude(user__username="demo_relative")
        .values_list("household_id", flat=True)
        .distinct()
        .order_by("household_id")[:200]
    )
    if not households:
        return 0
    skills = {skill.name: skill for skill in Skill.objects.all()}
    made = 0
    for skill_name, title, details, urgency, fate in REQUESTS:
        request = help_request_create(
            actor=staff,
            household_id=rng.choice(households),
            skill_id=skills[skill_name].pk,
            title=title,
            details=details,
            times=_times(rng),
            urgency=urgency,
        )
        made += 1
        if fate == "open":
            continue
        if fate == "cancelled":
            help_request_cancel(actor=staff, request_id=request.pk, reason="家人已经帮忙办好")
            continue
        proposals = volunteers_proposed(user=staff, request=request, limit=1)
        if not proposals:
            continue
        help_request_assign(
            actor=staff, request_id=request.pk, volunteer_id=proposals[0].volunteer.pk
        )
        if fate == "assigned":
            continue
        help_request_done(actor=staff, request_id=request.pk, note="已上门处理")
        if fate == "confirmed":
            help_request_confirm(
                actor=staff,
                request_id=request.pk,
                rating=rng.choice([4, 5, 5]),
                feedback="谢谢义工",
            )
    return made


CLINIC_SLUG = "monthly-free-clinic"
#: skill → places at the monthly clinic
CLINIC_SLOTS = {"医疗护理": 2, "法律咨询": 1, "家电维修": 3, "摄影": 1, "电脑手机教学": 2}


def _monthly_clinic(rng: random.Random, staff: User) -> str:
    """The monthly free clinic (每月义诊) in about three weeks, with places per skill, some
    taken (by staff for the volunteers, as the office fills them from a phone round) and some
    open for the demo volunteer to take."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    index = events_index()
    if index is None:
        return "no events page"
    event = EventPage.objects.filter(slug=CLINIC_SLUG).first()
    if event is None:
        day = timezone.localdate() + timedelta(days=21)
        starts = timezone.make_aware(datetime(day.year, day.month, day.day, 8, 30))
        event = EventPage(
            title="侨之爱每月义诊：量血压、修家电、法律咨询",
            slug=CLINIC_SLUG,
            kind=EventKind.VOLUNTEER,
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            place="街道侨之家一楼",
            capacity=30,  # the places (9) and people coming to be seen
            party_size_max=1,
            summary="每月一次，侨之爱义工服务队在侨之家为居民义诊、修小家电、解答法律问题。",
        )
        index.add_child(instance=event)
        event.save_revision(user=staff).publish(user=staff)
        event.refresh_from_db()
    if ShiftSlot.objects.filter(event=event).exists():
        return "already there"
    skills = {skill.name: skill for skill in Skill.objects.all()}
    shift_slots_set(
        actor=staff,
        event_id=event.pk,
        places={skills[name].pk: count for name, count in CLINIC_SLOTS.items()},
        notes={skills["医疗护理"].pk: "量血压、血糖，用药咨询"},
    )
    taken = 0
    for slot in ShiftSlot.objects.filter(event=event).select_related("skill"):
        fill = slot.places if slot.skill.name in ("医疗护理", "法律咨询") else slot.places - 1
        volunteers = list(
            Volunteer.objects.filter(status=Status.ACTIVE, skills__skill=slot.skill)
            .exclude(member=None)
            .exclude(user__username="demo_volunteer")
            .exclude(slot_takings__event=event, slot_takings__status="active")
            .order_by("pk")[: max(0, fill)]
        )
        for volunteer in volunteers:
            slot_take(actor=staff, slot_id=slot.pk, volunteer_id=volunteer.pk)
            taken += 1
    return f"{taken} places taken"


HOURS_WORK = ["侨之家值班", "上门看望空巢老人", "社区义诊", "帮老人修理家电", "为侨眷拍全家福",
              "春联义写", "教老人用手机视频", "涉侨法律咨询"]  # fmt: skip


def _a_year_of_hours(rng: random.Random, staff: User) -> int:
    """A year of confirmed service for the team: a few mornings each, on distinct days."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    from .models import ServiceHours

    if ServiceHours.objects.exists():
        return 0
    today = timezone.localdate()
    made = 0
    team = Volunteer.objects.filter(status__in=[Status.ACTIVE, Status.PAUSED]).order_by("pk")
    for volunteer in team:
        for days_ago in sorted(rng.sample(range(3, 360), k=rng.randint(2, 9))):
            day = today - timedelta(days=days_ago)
            start = timezone.make_aware(datetime(day.year, day.month, day.day, 9, 0))
            entry = hours_log(
                actor=staff,
                volunteer_id=volunteer.pk,
                started_at=start,
                ended_at=start + timedelta(minutes=rng.choice([60, 90, 120, 150, 180, 240])),
                description=rng.choice(HOURS_WORK),
            )
            if days_ago > 7:  # the last week's wait for confirmation
                hours_confirm(actor=staff, entry_id=entry.pk)
            made += 1
    return made


def _certificates(staff: User) -> int:
    """Two certificates of the past year: the demo volunteer's (downloadable on their page)
    and another volunteer's."""
    from datetime import timedelta

    from django.utils import timezone

    from .models import Certificate

    if Certificate.objects.exists():
        return 0
    today = timezone.localdate()
    people = list(
        Volunteer.objects.filter(
            user__username="demo_volunteer", hours__status="confirmed"
        ).distinct()[:1]
    ) + list(
        Volunteer.objects.filter(hours__status="confirmed", member__isnull=False)
        .exclude(user__username="demo_volunteer")
        .distinct()
        .order_by("pk")[:1]
    )
    for volunteer in people:
        certificate_issue(
            actor=staff,
            volunteer_id=volunteer.pk,
            period_start=today - timedelta(days=365),
            period_end=today,
        )
    return len(people)


def _team_page(staff: User) -> None:
    """The team's public page at /volunteers/ under the home page."""
    from wagtail.models import Site

    from .pages import VolunteerTeamPage

    if VolunteerTeamPage.objects.exists():
        return
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return
    page = VolunteerTeamPage(
        title="侨之爱义工服务队",
        slug="volunteers",
        intro=(
            "<p>侨之爱义工服务队由有一技之长的归侨侨眷组成：医生量血压、律师解答涉侨法律问题、"
            "师傅上门修家电、摄影和书法爱好者为老人拍照写春联。我们按技能接受邻里的互助需求，"
            "每月在侨之家办一次义诊。</p>"
        ),
    )
    site.root_page.add_child(instance=page)
    page.save_revision(user=staff).publish(user=staff)
