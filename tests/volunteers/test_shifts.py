"""Volunteer shifts: slots per skill on an event of kind 志愿活动, taken by volunteers with the
skill, never beyond the places; the event's own form refuses everyone else."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.models import Notice
from events import services as event_services
from events.choices import EventKind
from events.models import Signup
from tests.factories import UserFactory
from tests.factories.events import event_create
from tests.factories.volunteers import volunteer_approved
from volunteers import services
from volunteers.models import ShiftSlot, SlotTaking
from volunteers.services import SkillChoice, VolunteerRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(staff, skills):
    """A monthly free clinic: 2 repairers and 1 doctor, 10 people in all."""
    event = event_create(kind=EventKind.VOLUNTEER, capacity=10, title="每月义诊", party_size_max=1)
    services.shift_slots_set(
        actor=staff,
        event_id=event.pk,
        places={skills["repair"].pk: 2, skills["medical"].pk: 1},
        notes={skills["medical"].pk: "量血压、用药咨询"},
    )
    return event


@pytest.fixture
def team(world, staff, skills):
    """Four repairers and a photographer, on the team."""
    made = []
    for n in range(4):
        user = UserFactory(name=f"修理工{n}")
        made.append(
            volunteer_approved(
                user, staff=staff, skills=[skills["repair"]], communities=[world.community_a]
            )
        )
    photographer = volunteer_approved(
        UserFactory(name="摄影师"),
        staff=staff,
        skills=[skills["photo"]],
        communities=[world.community_a],
    )
    return made, photographer


def _slot(event, skill) -> ShiftSlot:
    return ShiftSlot.objects.get(event=event, skill=skill)


def test_staff_set_slots_within_the_events_capacity(staff, skills, clinic):
    slots = {s.skill.name: (s.places, s.note) for s in ShiftSlot.objects.filter(event=clinic)}
    assert slots == {"家电维修": (2, ""), "医疗护理": (1, "量血压、用药咨询")}
    with pytest.raises(VolunteerRefused, match="超过了活动的总名额"):
        services.shift_slots_set(actor=staff, event_id=clinic.pk, places={skills["photo"].pk: 8})
    assert not ShiftSlot.objects.filter(event=clinic, skill=skills["photo"]).exists()
    with pytest.raises(VolunteerRefused, match="0 到 500"):
        services.shift_slots_set(actor=staff, event_id=clinic.pk, places={skills["photo"].pk: -1})


def test_only_volunteer_events_get_slots_and_only_staff_set_them(staff, relative, skills):
    tea = event_create(kind=EventKind.TEA_PARTY)
    with pytest.raises(VolunteerRefused, match="志愿活动"):
        services.shift_slots_set(actor=staff, event_id=tea.pk, places={skills["repair"].pk: 2})
    with pytest.raises(PermissionDenied):
        services.shift_slots_set(actor=relative, event_id=tea.pk, places={skills["repair"].pk: 2})


def test_a_volunteer_with_the_skill_takes_a_slot_and_is_signed_up_with_a_qr_code(
    skills, clinic, team
):
    repairers, _ = team
    taking = services.slot_take(actor=repairers[0].user, slot_id=_slot(clinic, skills["repair"]).pk)

    assert taking.signup.status == Signup.Status.CONFIRMED
    assert taking.signup.event_id == clinic.pk and taking.signup.user == repairers[0].user
    assert Notice.objects.filter(topic="events.signup", object_id=taking.signup_id).exists()


def test_slots_never_take_more_than_their_places(skills, clinic, team):
    repairers, _ = team
    slot = _slot(clinic, skills["repair"])
    services.slot_take(actor=repairers[0].user, slot_id=slot.pk)
    services.slot_take(actor=repairers[1].user, slot_id=slot.pk)
    with pytest.raises(VolunteerRefused, match="名额已经满了"):
        services.slot_take(actor=repairers[2].user, slot_id=slot.pk)
    assert SlotTaking.objects.filter(slot=slot).count() == 2
    assert Signup.objects.filter(event=clinic).count() == 2


def test_refusals_skill_standing_and_one_slot_per_shift(staff, skills, clinic, team, relative):
    repairers, photographer = team
    repair, medical = _slot(clinic, skills["repair"]), _slot(clinic, skills["medical"])
    with pytest.raises(VolunteerRefused, match="需要“家电维修”技能"):
        services.slot_take(actor=photographer.user, slot_id=repair.pk)
    with pytest.raises(VolunteerRefused, match="在队的义工"):
        services.slot_take(actor=relative, slot_id=repair.pk)
    services.volunteer_pause(actor=staff, volunteer_id=repairers[3].pk)
    with pytest.raises(VolunteerRefused, match="不在服务状态"):
        services.slot_take(actor=repairers[3].user, slot_id=repair.pk)
    # a repairer who is also a doctor may hold only one slot of the shift
    both = repairers[0]
    both.skills.create(skill=skills["medical"], level="professional", proof_number="X1")
    services.slot_take(actor=both.user, slot_id=repair.pk)
    with pytest.raises(VolunteerRefused, match="已经报名了这次活动"):
        services.slot_take(actor=both.user, slot_id=medical.pk)
    assert SlotTaking.objects.count() == 1


def test_the_events_own_form_refuses_everyone_with_a_pointer_to_the_slots(relative, clinic, team):
    repairers, _ = team
    with pytest.raises(event_services.SignupRefused, match="义工岗位"):
        event_services.signup_create(event_id=clinic.pk, actor=repairers[0].user)
    with pytest.raises(event_services.SignupRefused, match="只有在队的义工"):
        event_services.signup_create(event_id=clinic.pk, actor=relative)
    assert not Signup.objects.exists()


def test_a_volunteer_event_without_slots_stays_an_ordinary_event(relative, world):
    open_day = event_create(kind=EventKind.VOLUNTEER, capacity=30, title="重阳义诊（居民报名）")
    signup = event_services.signup_create(event_id=open_day.pk, actor=relative)
    assert signup.status == Signup.Status.CONFIRMED


def test_giving_a_slot_back_frees_it_and_cancels_the_sign_up(skills, clinic, team):
    repairers, _ = team
    slot = _slot(clinic, skills["repair"])
    first = services.slot_take(actor=repairers[0].user, slot_id=slot.pk)
    services.slot_take(actor=repairers[1].user, slot_id=slot.pk)
    with pytest.raises(PermissionDenied):
        services.slot_cancel(actor=repairers[1].user, taking_id=first.pk)

    services.slot_cancel(actor=repairers[0].user, taking_id=first.pk)

    first.refresh_from_db()
    assert first.status == SlotTaking.Status.CANCELLED
    assert first.signup.status == Signup.Status.CANCELLED
    services.slot_take(actor=repairers[2].user, slot_id=slot.pk)
    with pytest.raises(VolunteerRefused, match="已经取消"):
        services.slot_cancel(actor=repairers[0].user, taking_id=first.pk)


def test_staff_take_a_slot_for_a_paper_volunteer_without_an_account(staff, world, skills, clinic):
    paper = services.volunteer_enrol(
        actor=staff,
        member_id=world.mA2.pk,
        skills=[SkillChoice(skills["repair"].pk, "experienced")],
        times=1,
        community_ids=[world.community_a.pk],
        approve=True,
    )
    taking = services.slot_take(
        actor=staff, slot_id=_slot(clinic, skills["repair"]).pk, volunteer_id=paper.pk
    )
    assert taking.signup.member == world.mA2 and taking.signup.user is None


def test_when_the_events_seats_run_out_first_nothing_is_taken(staff, skills, team):
    repairers, _ = team
    event = event_create(kind=EventKind.VOLUNTEER, capacity=3, party_size_max=1)
    services.shift_slots_set(actor=staff, event_id=event.pk, places={skills["repair"].pk: 3})
    services.slot_take(actor=repairers[0].user, slot_id=_slot(event, skills["repair"]).pk)
    event.capacity = 1  # an editor lowered the capacity afterwards
    event.save_revision().publish()
    with pytest.raises(VolunteerRefused, match="总名额已经满了"):
        services.slot_take(actor=repairers[1].user, slot_id=_slot(event, skills["repair"]).pk)
    assert SlotTaking.objects.filter(event=event).count() == 1
    assert Signup.objects.filter(event=event).count() == 1


# -- screens ------------------------------------------------------------------------------------


def test_the_shift_pages_and_taking_through_them(client, skills, clinic, team):
    repairers, photographer = team
    listing = client.get(reverse("volunteers:shifts")).content.decode()
    assert "每月义诊" in listing and "还剩 2 / 2 个" in listing
    client.force_login(repairers[0].user)
    page = client.get(reverse("volunteers:shift", args=[clinic.pk])).content.decode()
    assert "报名这个岗位" in page and "量血压、用药咨询" in page
    slot = _slot(clinic, skills["repair"])
    response = client.post(reverse("volunteers:slot_take", args=[slot.pk]), follow=True)
    assert "已报名“家电维修”岗位" in response.content.decode()
    client.force_login(photographer.user)
    page = client.get(reverse("volunteers:shift", args=[clinic.pk])).content.decode()
    assert "需要这项技能" in page and "报名这个岗位" not in page
    # the event page says how to join
    assert "在队义工按技能岗位报名" in client.get(clinic.url).content.decode()


def test_staff_set_places_in_the_admin(client_for, skills, clinic):
    client = client_for("staff")
    assert "每月义诊" in client.get(reverse("volunteers_admin_shifts")).content.decode()
    data = {f"places_{skills['repair'].pk}": "4", f"places_{skills['medical'].pk}": "abc"}
    response = client.post(reverse("volunteers_admin_shift", args=[clinic.pk]), data)
    assert response.status_code == 400 and "请填数字" in response.content.decode()
    data[f"places_{skills['medical'].pk}"] = "1"
    client.post(reverse("volunteers_admin_shift", args=[clinic.pk]), data)
    assert _slot(clinic, skills["repair"]).places == 4
