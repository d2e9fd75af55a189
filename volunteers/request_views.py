"""Public views of mutual help: asking (for one's own household, or for a household one looks
after), "my requests", one request (with the matched pair's contact), and the volunteer's
tasks with the open requests matching their skills."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.locking import LockBusy
from households.access import access_log_record
from households.models import Household
from households.selectors import household_own_for, household_scope_for

from . import selectors, services
from .choices import RequestStatus, Status, times_from
from .forms import ConfirmForm, HelpRequestForm
from .models import HelpRequest

#: How many households a leader's form offers (a group leader looks after about fifteen; a
#: cadre a few hundred; staff use the admin).
HOUSEHOLD_CHOICES_MAX = 500


def _household_choices(user) -> list[tuple[int, str]]:
    choices = []
    own = household_own_for(user)
    if own is not None:
        choices.append((own.pk, _("我家（%(name)s）") % {"name": own}))
    if user.has_perm("volunteers.add_helprequest"):
        others = (
            household_scope_for(user)
            .filter(status=Household.Status.ACTIVE)
            .exclude(pk=getattr(own, "pk", None))
            .select_related("community")
            .order_by("community__sort_order", "householder_name", "pk")[:HOUSEHOLD_CHOICES_MAX]
        )
        choices += [(h.pk, f"{h.community.name} · {h.householder_name or h.key}") for h in others]
    return choices


@login_required
def request_new(request):
    households = _household_choices(request.user)
    if not households:
        return render(request, "volunteers/request_no_household.html", status=403)
    if request.method == "POST":
        form = HelpRequestForm(request.POST, households=households)
        if form.is_valid():
            household_id = form.cleaned_data.get("household") or households[0][0]
            try:
                made = services.help_request_create(
                    actor=request.user,
                    household_id=household_id,
                    skill_id=form.cleaned_data["skill"].pk,
                    title=form.cleaned_data["title"],
                    details=form.cleaned_data["details"],
                    times=times_from(form.cleaned_data["times"]),
                    urgency=form.cleaned_data["urgency"],
                )
            except (Household.DoesNotExist, ValueError):
                form.add_error("household", _("请选择您负责联系的侨户。"))
            except services.VolunteerRefused as refused:
                form.refuse(refused)
            else:
                messages.success(request, _("需求已提交，安排好义工后会通知您。"))
                return redirect("volunteers:request_detail", made.pk)
        return render(request, "volunteers/request_new.html", {"form": form}, status=400)
    initial = {}
    if request.GET.get("household", "").isdigit():
        initial["household"] = int(request.GET["household"])
    return render(
        request,
        "volunteers/request_new.html",
        {"form": HelpRequestForm(initial=initial, households=households)},
    )


@login_required
def request_list(request):
    asked = (
        selectors.help_request_scope_for(request.user)
        .filter(requested_by=request.user)
        .select_related("skill", "volunteer", "household")
    )
    mine = selectors.help_requests_of_household(request.user)
    return render(
        request,
        "volunteers/request_list.html",
        {"requests": (asked | mine).distinct().order_by("-created_at")[:100]},
    )


def _request_or_404(request, request_id: int) -> HelpRequest:
    try:
        return selectors.help_request_access_for(request.user, request_id)
    except HelpRequest.DoesNotExist:
        raise Http404 from None


def _detail(request, help_request: HelpRequest, *, contact=None, status: int = 200, form=None):
    own = selectors.volunteer_own_for(request.user)
    is_volunteer = own is not None and help_request.volunteer_id == own.pk
    household_side = not is_volunteer and selectors.user_speaks_for_request(
        request.user, help_request
    )
    contact_allowed = help_request.is_active and (
        is_volunteer or selectors.request_contact_for(request.user, help_request) is not None
    )
    context = {
        "r": help_request,
        "history": list(help_request.log.select_related("actor")),
        "is_volunteer": is_volunteer,
        "household_side": household_side,
        "may_see_contact": contact_allowed,
        "contact": contact,
        "confirm_form": form or ConfirmForm(),
        "Status": RequestStatus,
    }
    return render(request, "volunteers/request_detail.html", context, status=status)


@login_required
def request_detail(request, request_id: int):
    return _detail(request, _request_or_404(request, request_id))


@login_required
@require_POST
def request_contact(request, request_id: int):
    """Show the other side's contact to the matched pair; each showing is logged."""
    help_request = _request_or_404(request, request_id)
    contact = selectors.request_contact_for(request.user, help_request)
    if contact is None or not help_request.is_active:
        raise Http404
    access_log_record(
        user=request.user, action="unmask", object_type="help_request", object_id=help_request.pk
    )
    return _detail(request, help_request, contact=contact)


_ACTIONS = {
    "take": (services.help_request_take, gettext_lazy("已接下这项需求，请尽快联系对方。")),
    "done": (services.help_request_done, gettext_lazy("已标记完成，等对方确认。谢谢您！")),
    "release": (
        services.help_request_release,
        gettext_lazy("已退回，这项需求会重新等待其他义工。"),
    ),
    "cancel": (services.help_request_cancel, gettext_lazy("需求已取消。")),
}


@login_required
@require_POST
def request_action(request, request_id: int, action: str):
    if action == "confirm":
        return _confirm(request, request_id)
    if action not in _ACTIONS:
        raise Http404
    service, done = _ACTIONS[action]
    kwargs = {"actor": request.user, "request_id": request_id}
    if action in ("done",):
        kwargs["note"] = request.POST.get("note", "")
    if action in ("release", "cancel"):
        kwargs["reason"] = request.POST.get("reason", "")
    try:
        service(**kwargs)
    except HelpRequest.DoesNotExist:
        raise Http404 from None
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    except LockBusy:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    else:
        messages.success(request, str(done))
        if action in ("take", "release"):
            return redirect("volunteers:tasks")
    if action == "take":
        return redirect("volunteers:tasks")
    return redirect("volunteers:request_detail", request_id)


def _confirm(request, request_id: int):
    form = ConfirmForm(request.POST)
    help_request = _request_or_404(request, request_id)
    if form.is_valid():
        try:
            services.help_request_confirm(
                actor=request.user,
                request_id=request_id,
                rating=form.cleaned_data.get("rating"),
                feedback=form.cleaned_data.get("feedback", ""),
            )
        except services.VolunteerRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        except LockBusy:
            form.add_error(None, _("系统繁忙，请稍后再试。"))
        else:
            messages.success(request, _("谢谢您的评价！"))
            return redirect("volunteers:request_detail", request_id)
    return _detail(request, help_request, status=400, form=form)


@login_required
def tasks(request):
    """The volunteer's own tasks, and open requests for their skills to take."""
    volunteer = selectors.volunteer_own_for(request.user)
    if volunteer is None:
        return redirect(reverse("volunteers:mine"))
    serving = volunteer.status == Status.ACTIVE
    context = {
        "volunteer": volunteer,
        "serving": serving,
        "mine": selectors.help_requests_served_by(volunteer)
        .filter(status__in=[RequestStatus.ASSIGNED, RequestStatus.DONE])
        .order_by("due_at"),
        "finished": selectors.help_requests_served_by(volunteer)
        .filter(status=RequestStatus.CONFIRMED)
        .order_by("-confirmed_at")[:20],
        "open": list(selectors.help_requests_open_for(volunteer)[:50]) if serving else [],
    }
    return render(request, "volunteers/tasks.html", context)
