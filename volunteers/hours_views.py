"""Public views of service hours: the volunteer's own (totals, entries, logging, proposals
from shift check-ins, corrections) and the group leader's confirmations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.locking import LockBusy

from . import selectors, services
from .choices import RequestStatus
from .forms import HoursForm
from .models import ServiceHours, SlotTaking


def hours_sources(volunteer) -> list[tuple[str, str]]:
    """What a volunteer may log hours against: requests they served, shifts they held."""
    sources = []
    served = selectors.help_requests_served_by(volunteer).exclude(
        status__in=[RequestStatus.OPEN, RequestStatus.CANCELLED]
    )[:50]
    for request in served:
        sources.append((f"r:{request.pk}", _("互助：%(title)s") % {"title": request.title}))
    takings = (
        SlotTaking.objects.filter(volunteer=volunteer, status="active")
        .select_related("event")
        .order_by("-event__starts_at")[:50]
    )
    for taking in takings:
        when = timezone.localtime(taking.event.starts_at).strftime("%Y-%m-%d")
        sources.append(
            (
                f"e:{taking.event_id}",
                _("活动：%(title)s（%(when)s）")
                % {
                    "title": taking.event.title,
                    "when": when,
                },
            )
        )
    return sources


def _own_or_redirect(request):
    return selectors.volunteer_own_for(request.user)


@login_required
def my_hours(request):
    volunteer = _own_or_redirect(request)
    if volunteer is None:
        return redirect("volunteers:mine")
    year = timezone.localdate().year
    form = HoursForm(sources=hours_sources(volunteer), initial={"day": timezone.localdate()})
    status = 200
    if request.method == "POST":
        form = HoursForm(request.POST, sources=hours_sources(volunteer))
        if form.is_valid():
            request_id, event_id = form.source_ids()
            started_at, ended_at = form.span()
            try:
                services.hours_log(
                    actor=request.user,
                    started_at=started_at,
                    ended_at=ended_at,
                    description=form.cleaned_data["description"],
                    request_id=request_id,
                    event_id=event_id,
                )
            except services.VolunteerRefused as refused:
                form.refuse(refused)
            except LockBusy:
                form.add_error(None, _("系统繁忙，请稍后再试。"))
            else:
                messages.success(request, _("已登记，等工作人员或小组长确认。"))
                return redirect("volunteers:hours")
        status = 400
    context = {
        "volunteer": volunteer,
        "year": year,
        "total": selectors.hours_total(volunteer, year=year),
        "last_year_total": selectors.hours_total(volunteer, year=year - 1),
        "entries": selectors.hours_of(volunteer)[:100],
        "proposals": selectors.hours_proposals(volunteer),
        "form": form,
    }
    return render(request, "volunteers/hours.html", context, status=status)


@login_required
@require_POST
def hours_from_checkin(request, taking_id: int):
    """Log the hours a shift's check-in proposes, in one tap."""
    volunteer = _own_or_redirect(request)
    if volunteer is None:
        raise Http404
    proposal = next(
        (p for p in selectors.hours_proposals(volunteer) if p.taking.pk == taking_id), None
    )
    if proposal is None:
        raise Http404
    try:
        services.hours_log(
            actor=request.user,
            started_at=proposal.started_at,
            ended_at=proposal.ended_at,
            description=_("%(event)s · %(skill)s岗位")
            % {"event": proposal.taking.event.title, "skill": proposal.taking.slot.skill.name},
            event_id=proposal.taking.event_id,
        )
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    except LockBusy:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    else:
        messages.success(request, _("已按签到记录登记，等工作人员确认。"))
    return redirect("volunteers:hours")


@login_required
def hours_confirmations(request):
    """Hours served to the households a group leader looks after (or, for staff, to anyone in
    their scope), waiting for confirmation."""
    entries = selectors.hours_pending_for(request.user)
    if not (
        request.user.has_perm("volunteers.record_hours")
        or request.user.has_perm("volunteers.add_helprequest")
    ):
        raise PermissionDenied
    return render(request, "volunteers/hours_confirm.html", {"entries": entries[:200]})


@login_required
@require_POST
def hours_confirm(request, entry_id: int):
    if not ServiceHours.objects.filter(pk=entry_id).exists():
        raise Http404
    try:
        services.hours_confirm(actor=request.user, entry_id=entry_id)
    except ServiceHours.DoesNotExist:
        raise Http404 from None
    except PermissionDenied:
        raise Http404 from None
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("已确认。"))
    return redirect("volunteers:hours_confirmations")
