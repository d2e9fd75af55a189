"""The office's screens for mutual help: every request (by state, and the overdue ones), and
one request with the volunteers proposed for it and why, to assign one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.paginator import WagtailPaginator

from core.locking import LockBusy

from . import selectors, services
from .choices import RequestStatus
from .models import HelpRequest, Volunteer

PER_PAGE = 50

TABS = [
    ("open", gettext_lazy("待接单")),
    ("overdue", gettext_lazy("已逾期")),
    ("assigned", gettext_lazy("已接单")),
    ("done", gettext_lazy("待确认")),
    ("confirmed", gettext_lazy("已确认")),
    ("cancelled", gettext_lazy("已取消")),
    ("all", gettext_lazy("全部")),
]


def _require_manager(request) -> None:
    if not selectors.user_manages_requests(request.user):
        raise PermissionDenied


def request_list(request):
    _require_manager(request)
    tab = request.GET.get("tab", "open")
    if tab not in dict(TABS):
        tab = "open"
    if tab == "overdue":
        requests = selectors.help_request_list_for(request.user, overdue=True).order_by("due_at")
    else:
        requests = selectors.help_request_list_for(
            request.user, status="" if tab == "all" else tab
        ).order_by("-created_at", "-id")
    paginator = WagtailPaginator(requests, PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "volunteers/admin/requests.html",
        {
            "tab": tab,
            "tabs": TABS,
            "page_obj": page_obj,
            "requests": page_obj.object_list,
            "elided_page_range": paginator.get_elided_page_range(page_obj.number),
        },
    )


def request_detail(request, request_id: int):
    _require_manager(request)
    try:
        help_request = selectors.help_request_access_for(request.user, request_id)
    except HelpRequest.DoesNotExist:
        raise Http404 from None
    proposals = []
    if help_request.status == RequestStatus.OPEN:
        proposals = selectors.volunteers_proposed(user=request.user, request=help_request)
    return TemplateResponse(
        request,
        "volunteers/admin/request_detail.html",
        {
            "r": help_request,
            "proposals": proposals,
            "history": list(help_request.log.select_related("actor")),
            "Status": RequestStatus,
        },
    )


@require_POST
def request_assign(request, request_id: int):
    _require_manager(request)
    try:
        volunteer_id = int(request.POST.get("volunteer", ""))
    except ValueError:
        messages.error(request, _("请选择一位义工。"))
        return redirect(reverse("volunteers_admin_request", args=[request_id]))
    try:
        services.help_request_assign(
            actor=request.user, request_id=request_id, volunteer_id=volunteer_id
        )
    except (HelpRequest.DoesNotExist, Volunteer.DoesNotExist):
        raise Http404 from None
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    except LockBusy:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    else:
        messages.success(request, _("已安排义工，双方都会收到通知。"))
    return redirect(reverse("volunteers_admin_request", args=[request_id]))


@require_POST
def request_cancel(request, request_id: int):
    _require_manager(request)
    try:
        services.help_request_cancel(
            actor=request.user, request_id=request_id, reason=request.POST.get("reason", "")
        )
    except HelpRequest.DoesNotExist:
        raise Http404 from None
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("需求已取消。"))
    return redirect(reverse("volunteers_admin_request", args=[request_id]))
