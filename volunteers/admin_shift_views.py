"""The office's screens for volunteer shifts: the events of kind 志愿活动, and for one of them
the places per skill, who holds them, and a place taken for a volunteer (one with no account,
say)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.locking import LockBusy
from events.pages import EventPage

from . import selectors, services
from .choices import Status
from .models import Volunteer


def _require(request) -> None:
    if not request.user.has_perm("volunteers.manage_shifts"):
        raise PermissionDenied


def shift_list(request):
    _require(request)
    events = list(selectors.shifts_upcoming(with_slots=False)[:100])
    return TemplateResponse(
        request,
        "volunteers/admin/shifts.html",
        {"shifts": [(event, selectors.slot_figures(event.pk)) for event in events]},
    )


def _event_or_404(event_id: int) -> EventPage:
    event = selectors.shifts_upcoming(with_slots=False).filter(pk=event_id).first()
    if event is None:
        raise Http404
    return event


def shift_detail(request, event_id: int):
    _require(request)
    event = _event_or_404(event_id)
    figures = {f.slot.skill_id: f for f in selectors.slot_figures(event.pk)}
    errors = {}
    if request.method == "POST":
        places, notes = {}, {}
        for skill in selectors.skills_open():
            raw = request.POST.get(f"places_{skill.pk}", "").strip() or "0"
            try:
                places[skill.pk] = int(raw)
            except ValueError:
                errors[skill.pk] = _("请填数字。")
            notes[skill.pk] = request.POST.get(f"note_{skill.pk}", "")
        if not errors:
            try:
                services.shift_slots_set(
                    actor=request.user, event_id=event.pk, places=places, notes=notes
                )
            except services.VolunteerRefused as refused:
                messages.error(request, refused.message)
            except LockBusy:
                messages.error(request, _("系统繁忙，请稍后再试。"))
            else:
                messages.success(request, _("岗位已保存。"))
                return redirect(reverse("volunteers_admin_shift", args=[event.pk]))
    rows = []
    for skill in selectors.skills_open():
        figure = figures.get(skill.pk)
        rows.append(
            {
                "skill": skill,
                "places": request.POST.get(f"places_{skill.pk}")
                if request.method == "POST"
                else (figure.slot.places if figure else ""),
                "note": request.POST.get(f"note_{skill.pk}")
                if request.method == "POST"
                else (figure.slot.note if figure else ""),
                "taken": figure.taken if figure else 0,
                "error": errors.get(skill.pk, ""),
            }
        )
    eligible = (
        selectors.volunteer_scope_for(request.user)
        .filter(status=Status.ACTIVE, skills__skill_id__in=list(figures))
        .distinct()
        .order_by("name")[:300]
    )
    return TemplateResponse(
        request,
        "volunteers/admin/shift_detail.html",
        {
            "event": event,
            "rows": rows,
            "slots": list(figures.values()),
            "takings": selectors.shift_takings(event.pk, request.user),
            "eligible": eligible,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def shift_take_for(request, event_id: int):
    _require(request)
    event = _event_or_404(event_id)
    try:
        services.slot_take(
            actor=request.user,
            slot_id=int(request.POST.get("slot", "0")),
            volunteer_id=int(request.POST.get("volunteer", "0")),
        )
    except (ValueError, Volunteer.DoesNotExist):
        messages.error(request, _("请选择岗位和义工。"))
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    except LockBusy:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    else:
        messages.success(request, _("已为义工报名岗位。"))
    return redirect(reverse("volunteers_admin_shift", args=[event.pk]))


@require_POST
def shift_taking_cancel(request, event_id: int, taking_id: int):
    _require(request)
    event = _event_or_404(event_id)
    try:
        services.slot_cancel(actor=request.user, taking_id=taking_id)
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    except Volunteer.DoesNotExist:
        raise Http404 from None
    else:
        messages.success(request, _("已取消岗位报名。"))
    return redirect(reverse("volunteers_admin_shift", args=[event.pk]))
