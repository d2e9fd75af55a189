"""Public views of the volunteer team: applying, and "my volunteering" (standing, number,
skills, pausing and leaving). Each parses, calls one service or selector, renders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.locking import LockBusy
from households.selectors import member_scope_for

from . import selectors, services
from .choices import MAY_APPLY, Status
from .forms import ApplyForm, ReasonForm, initial_from


@login_required
def apply(request):
    """The application form. Someone already on the team or waiting for a decision is sent to
    their page; a refusal shows the form again, filled in, with the reason by its field."""
    own = selectors.volunteer_own_for(request.user)
    if own is not None and own.status not in MAY_APPLY:
        return redirect("volunteers:mine")
    skills = selectors.skills_open()
    if request.method == "POST":
        form = ApplyForm(request.POST, request.FILES, skills=skills)
        if form.is_valid():
            try:
                services.volunteer_apply(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    skills=form.skill_choices(),
                    times=form.times_mask(),
                    community_ids=form.community_ids(),
                    consent_share_contact=form.cleaned_data["consent_share_contact"],
                    on_honour_roll=form.cleaned_data["on_honour_roll"],
                    motivation=form.cleaned_data["motivation"],
                )
            except services.VolunteerRefused as refused:
                form.refuse(refused)
            except LockBusy:
                form.add_error(None, _("系统繁忙，请稍后再试。"))
            else:
                messages.success(request, _("申请已提交。工作人员审核后会通知您，请留意消息。"))
                return redirect("volunteers:mine")
        return render(request, "volunteers/apply.html", {"form": form}, status=400)
    initial = initial_from(own)
    if not initial:
        member = member_scope_for(request.user).filter(user=request.user).first()
        initial = {"name": member.name if member else request.user.get_full_name()}
    form = ApplyForm(initial=initial, skills=skills)
    return render(request, "volunteers/apply.html", {"form": form, "again": own is not None})


@login_required
def mine(request):
    volunteer = selectors.volunteer_own_for(request.user)
    context = {
        "volunteer": volunteer,
        "history": selectors.volunteer_history(volunteer) if volunteer else [],
        "certificates": list(selectors.certificates_of(volunteer)) if volunteer else [],
        "reason_form": ReasonForm(),
        "may_apply": volunteer is None or volunteer.status in MAY_APPLY,
        "Status": Status,
    }
    return render(request, "volunteers/mine.html", context)


_STANDING = {
    "pause": (
        services.volunteer_pause,
        gettext_lazy("已暂停服务。想回来时，在这里点“恢复服务”即可。"),
    ),
    "resume": (services.volunteer_resume, gettext_lazy("欢迎回来，已恢复服务。")),
    "leave": (
        services.volunteer_leave,
        gettext_lazy("已退出义工服务队。您的服务记录会一直保留，欢迎随时再申请。"),
    ),
}


@login_required
@require_POST
def mine_standing(request, action: str):
    if action not in _STANDING:
        raise Http404
    volunteer = selectors.volunteer_own_for(request.user)
    if volunteer is None:
        raise Http404
    service, done = _STANDING[action]
    kwargs = {"actor": request.user, "volunteer_id": volunteer.pk}
    if action != "resume":
        form = ReasonForm(request.POST)
        kwargs["reason"] = form.data.get("reason", "")
    try:
        service(**kwargs)
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    except LockBusy:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    else:
        messages.success(request, str(done))
    return redirect("volunteers:mine")
