"""The office's screen for service hours: entries waiting for confirmation, confirmed and
reversed ones; confirming, reversing with a reason, and recording hours for a volunteer."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.paginator import WagtailPaginator

from core.locking import LockBusy

from . import selectors, services
from .choices import Status
from .forms import HoursCorrectionForm, HoursForm
from .models import ServiceHours, Volunteer

TABS = [
    ("logged", gettext_lazy("待确认")),
    ("confirmed", gettext_lazy("已确认")),
    ("reversed", gettext_lazy("已冲销")),
]


def _require(request) -> None:
    if not request.user.has_perm("volunteers.record_hours"):
        raise PermissionDenied


def _volunteer_choices(user) -> list[tuple[int, str]]:
    volunteers = (
        selectors.volunteer_scope_for(user)
        .filter(status__in=[Status.ACTIVE, Status.PAUSED, Status.LEFT])
        .order_by("name")[:1000]
    )
    return [(v.pk, str(v)) for v in volunteers]


def hours_list(request):
    _require(request)
    tab = request.GET.get("tab", "logged")
    if tab not in dict(TABS):
        tab = "logged"
    entries = (
        ServiceHours.objects.filter(
            status=tab, volunteer__in=selectors.volunteer_scope_for(request.user)
        )
        .select_related("volunteer", "request", "event", "confirmed_by")
        .order_by("-started_at")
    )
    paginator = WagtailPaginator(entries, 50)
    page_obj = paginator.get_page(request.GET.get("p"))
    form = HoursForm(sources=[], volunteers=_volunteer_choices(request.user))
    status = 200
    if request.method == "POST":
        form = HoursForm(request.POST, sources=[], volunteers=_volunteer_choices(request.user))
        if form.is_valid():
            started_at, ended_at = form.span()
            try:
                services.hours_log(
                    actor=request.user,
                    volunteer_id=form.cleaned_data["volunteer"],
                    started_at=started_at,
                    ended_at=ended_at,
                    description=form.cleaned_data["description"],
                )
            except Volunteer.DoesNotExist:
                raise Http404 from None
            except services.VolunteerRefused as refused:
                form.refuse(refused)
            except LockBusy:
                form.add_error(None, _("系统繁忙，请稍后再试。"))
            else:
                messages.success(request, _("已登记，请在“待确认”中确认。"))
                return redirect(reverse("volunteers_admin_hours"))
        status = 400
    return TemplateResponse(
        request,
        "volunteers/admin/hours.html",
        {
            "tab": tab,
            "tabs": TABS,
            "entries": page_obj.object_list,
            "page_obj": page_obj,
            "elided_page_range": paginator.get_elided_page_range(page_obj.number),
            "form": form,
        },
        status=status,
    )


def _run(request, call, done: str):
    try:
        call()
    except (ServiceHours.DoesNotExist, Volunteer.DoesNotExist):
        raise Http404 from None
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    except LockBusy:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    else:
        messages.success(request, done)
    return redirect(f"{reverse('volunteers_admin_hours')}?tab={request.POST.get('tab', 'logged')}")


@require_POST
def hours_confirm(request, entry_id: int):
    _require(request)
    return _run(
        request,
        lambda: services.hours_confirm(actor=request.user, entry_id=entry_id),
        _("已确认。"),
    )


@require_POST
def hours_reverse(request, entry_id: int):
    _require(request)
    return _run(
        request,
        lambda: services.hours_reverse(
            actor=request.user, entry_id=entry_id, reason=request.POST.get("reason", "")
        ),
        _("已冲销，这条记录保留但不再计入时长。"),
    )


def hours_correct(request, entry_id: int):
    """Correct an entry not confirmed yet, with a reason (the history keeps what it said)."""
    _require(request)
    entry = (
        ServiceHours.objects.filter(
            pk=entry_id, volunteer__in=selectors.volunteer_scope_for(request.user)
        )
        .select_related("volunteer")
        .first()
    )
    if entry is None:
        raise Http404
    start = timezone.localtime(entry.started_at)
    end = timezone.localtime(entry.ended_at)
    initial = {
        "day": start.date(),
        "start": start.time(),
        "end": end.time(),
        "description": entry.description,
    }
    form = HoursCorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        started_at, ended_at = form.span()
        try:
            services.hours_correct(
                actor=request.user,
                entry_id=entry.pk,
                started_at=started_at,
                ended_at=ended_at,
                description=form.cleaned_data["description"],
                reason=form.cleaned_data["reason"],
            )
        except services.VolunteerRefused as refused:
            form.refuse(refused)
        except LockBusy:
            form.add_error(None, _("系统繁忙，请稍后再试。"))
        else:
            messages.success(request, _("已修改，原来的内容和修改原因记在这条记录的历史里。"))
            return redirect(reverse("volunteers_admin_hours"))
    return TemplateResponse(
        request,
        "volunteers/admin/hours_correct.html",
        {"entry": entry, "form": form, "history": list(entry.log.select_related("actor"))},
        status=400 if request.method == "POST" else 200,
    )
