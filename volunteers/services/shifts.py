"""Volunteer shifts: slots per skill on an event of kind 志愿活动, taken by volunteers with the
skill, never more than the slot's places.

Taking a slot follows the locking protocol: lock the slot's row, count the active takings,
write; then sign the volunteer up to the event through ``events.services.signup_create``
(which takes the event's seat lock: always after the slot's, so the two never wait on each
other in the opposite order). The sign-up carries the QR code for check-in and the events
notice ("报名成功"). If the event itself has no seat left, nothing is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.locking import lock_row
from events import services as event_services
from events.choices import EventKind
from events.models import Signup
from events.pages import EventPage

from ..audiences import slot_sign_up
from ..choices import Status
from ..models import ShiftSlot, Skill, SlotTaking, Volunteer
from ..selectors import volunteer_access_for, volunteer_own_for
from .common import VolunteerRefused, require_permission

if TYPE_CHECKING:
    from accounts.models import User

PLACES_MAX = 500


@transaction.atomic
def shift_slots_set(*, actor: User, event_id: int, places: dict[int, int], notes=None) -> list:
    """Set the places per skill of a shift (staff). A skill set to 0 loses its slot, unless
    someone holds it; places cannot go below the number already taken."""
    require_permission(actor, "volunteers.manage_shifts")
    event = EventPage.objects.get(pk=event_id)
    if event.kind != EventKind.VOLUNTEER:
        raise VolunteerRefused(_("只有“志愿活动”类型的活动可以设置义工岗位。"))
    notes = notes or {}
    skills = Skill.objects.in_bulk(list(places))
    for skill_id, count in places.items():
        if skill_id not in skills:
            raise VolunteerRefused(_("所选技能不存在。"))
        if not 0 <= count <= PLACES_MAX:
            raise VolunteerRefused(
                _("“%(skill)s”的名额请填 0 到 500。") % {"skill": skills[skill_id].name},
                field=f"places_{skill_id}",
            )
    existing = {s.skill_id: s for s in ShiftSlot.objects.filter(event=event)}
    for skill_id, count in places.items():
        slot = existing.get(skill_id)
        if slot is not None:
            slot = lock_row(ShiftSlot.objects.all(), pk=slot.pk)
            taken = slot.takings.filter(status=SlotTaking.Status.ACTIVE).count()
            if count < taken:
                raise VolunteerRefused(
                    _("“%(skill)s”已有 %(n)d 人报名，名额不能少于 %(n)d。")
                    % {"skill": skills[skill_id].name, "n": taken},
                    field=f"places_{skill_id}",
                )
            if count == 0:
                slot.delete()
                continue
            slot.places = count
            slot.note = (notes.get(skill_id) or "")[:100]
            slot.save(update_fields=["places", "note"])
        elif count > 0:
            ShiftSlot.objects.create(
                event=event, skill_id=skill_id, places=count, note=(notes.get(skill_id) or "")[:100]
            )
    slots = list(ShiftSlot.objects.filter(event=event).select_related("skill"))
    total = sum(slot.places for slot in slots)
    if total > event.capacity:
        raise VolunteerRefused(
            _("岗位名额合计 %(total)d 人，超过了活动的总名额 %(capacity)d 人，请先调高活动名额。")
            % {"total": total, "capacity": event.capacity}
        )
    return slots


def _taking_volunteer(actor: User, volunteer_id: int | None) -> Volunteer:
    if volunteer_id is None:
        volunteer = volunteer_own_for(actor)
        if volunteer is None:
            raise VolunteerRefused(_("只有在队的义工可以报名义工岗位。"))
        return volunteer
    require_permission(actor, "volunteers.manage_shifts")
    return volunteer_access_for(actor, volunteer_id)


@transaction.atomic
def slot_take(*, actor: User, slot_id: int, volunteer_id: int | None = None) -> SlotTaking:
    """Take a place in a slot: the volunteer themself, or staff for a volunteer (a paper one
    with no account, say). Only an active volunteer with the slot's skill; one slot per shift;
    never more takings than places. Raises ``VolunteerRefused`` (nothing written)."""
    volunteer = _taking_volunteer(actor, volunteer_id)
    if volunteer.status != Status.ACTIVE:
        raise VolunteerRefused(
            _("%(name)s 目前不在服务状态（%(status)s），不能报名义工岗位。")
            % {"name": volunteer.name, "status": volunteer.get_status_display()}
        )
    slot = ShiftSlot.objects.select_related("skill").get(pk=slot_id)
    if not volunteer.skills.filter(skill_id=slot.skill_id).exists():
        raise VolunteerRefused(
            _("这个岗位需要“%(skill)s”技能，%(name)s 没有登记这项技能。")
            % {"skill": slot.skill.name, "name": volunteer.name}
        )
    slot = lock_row(ShiftSlot.objects.all(), pk=slot_id)  # lock, then count, then write
    if SlotTaking.objects.filter(
        event_id=slot.event_id, volunteer=volunteer, status="active"
    ).exists():
        raise VolunteerRefused(
            _("%(name)s 已经报名了这次活动的一个岗位。") % {"name": volunteer.name}
        )
    taken = SlotTaking.objects.filter(slot=slot, status=SlotTaking.Status.ACTIVE).count()
    if taken >= slot.places:
        raise VolunteerRefused(_("这个岗位的名额已经满了，看看其他岗位吧。"))
    try:
        with slot_sign_up():
            if volunteer.user_id and volunteer_id is None:
                signup = event_services.signup_create(event_id=slot.event_id, actor=actor)
            else:
                if volunteer.member_id is None:
                    raise VolunteerRefused(_("这位义工没有关联名册，请让本人登录后报名。"))
                signup = event_services.signup_create(
                    event_id=slot.event_id, actor=actor, member_id=volunteer.member_id
                )
    except event_services.SignupRefused as refused:
        raise VolunteerRefused(refused.message) from None
    if signup.status != Signup.Status.CONFIRMED:
        # the event's own seats ran out before its slots did: take nothing (the raise rolls
        # the sign-up back)
        raise VolunteerRefused(_("这次活动的总名额已经满了。"))
    return SlotTaking.objects.create(
        slot=slot, event_id=slot.event_id, volunteer=volunteer, signup=signup, taken_by=actor
    )


@transaction.atomic
def slot_cancel(*, actor: User, taking_id: int) -> SlotTaking:
    """Give a slot back (the volunteer, or staff): the event sign-up is cancelled with it."""
    taking = lock_row(SlotTaking.objects.all(), pk=taking_id)
    own = volunteer_own_for(actor)
    if own is None or own.pk != taking.volunteer_id:
        require_permission(actor, "volunteers.manage_shifts")
        volunteer_access_for(actor, taking.volunteer_id)
    if taking.status != SlotTaking.Status.ACTIVE:
        raise VolunteerRefused(_("这个岗位报名已经取消了。"))
    if taking.signup_id:
        try:
            event_services.signup_cancel(signup_id=taking.signup_id, actor=actor)
        except event_services.SignupRefused as refused:
            raise VolunteerRefused(refused.message) from None
    taking.status = SlotTaking.Status.CANCELLED
    taking.cancelled_at = timezone.now()
    taking.save(update_fields=["status", "cancelled_at"])
    return taking
