"""Public views of volunteer shifts: the shifts with their slots, taking a slot, giving it
back. The event page itself (events) points here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.locking import LockBusy
from events.pages import EventPage

from . import selectors, services
from .models import ShiftSlot, SlotTaking, Volunteer


def shift_list(request):
    shifts = list(selectors.shifts_upcoming()[:50])
    return render(
        request,
        "volunteers/shifts.html",
        {"shifts": [(event, selectors.slot_figures(event.pk)) for event in shifts]},
    )


def shift_detail(request, event_id: int):
    try:
        event = selectors.shift_for(event_id)
    except EventPage.DoesNotExist:
        raise Http404 from None
    volunteer = selectors.volunteer_own_for(request.user)
    my_skills, my_taking = set(), None
    if volunteer is not None:
        my_skills = set(volunteer.skills.values_list("skill_id", flat=True))
        my_taking = (
            SlotTaking.objects.filter(event_id=event.pk, volunteer=volunteer, status="active")
            .select_related("slot__skill")
            .first()
        )
    return render(
        request,
        "volunteers/shift_detail.html",
        {
            "event": event,
            "slots": selectors.slot_figures(event.pk),
            "volunteer": volunteer,
            "my_skills": my_skills,
            "my_taking": my_taking,
        },
    )


@login_required
@require_POST
def slot_take(request, slot_id: int):
    slot = ShiftSlot.objects.filter(pk=slot_id).first()
    if slot is None:
        raise Http404
    try:
        services.slot_take(actor=request.user, slot_id=slot_id)
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    except LockBusy:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    else:
        messages.success(
            request,
            _("已报名“%(skill)s”岗位。签到二维码在“我的活动报名”里。") % {"skill": slot.skill.name},
        )
    return redirect("volunteers:shift", slot.event_id)


@login_required
@require_POST
def taking_cancel(request, taking_id: int):
    taking = SlotTaking.objects.filter(pk=taking_id).first()
    if taking is None:
        raise Http404
    try:
        services.slot_cancel(actor=request.user, taking_id=taking_id)
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    except LockBusy:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    except (PermissionDenied, Volunteer.DoesNotExist):
        raise Http404 from None  # someone else's taking: as if there were none
    else:
        messages.success(request, _("已取消岗位报名。"))
    return redirect("volunteers:shift", taking.event_id)
