"""The office's screens for the team in the Wagtail admin: the volunteers list (with the
applications waiting for review), one volunteer (skills, proof, history, decisions), and
entering a paper application. They parse, call the services, render; scope comes from
``volunteers.selectors`` (outside it: 404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.paginator import WagtailPaginator

from core.locking import LockBusy
from households.access import NumberSearchRefused, access_log_record, mask_term
from households.models import Member
from households.selectors import member_scope_for, member_search

from . import selectors, services
from .choices import Status
from .forms import ReasonForm, TeamForm
from .models import Volunteer

PER_PAGE = 50

TABS = [
    ("pending", gettext_lazy("待审核")),
    ("active", gettext_lazy("在队")),
    ("paused", gettext_lazy("暂停服务")),
    ("declined", gettext_lazy("未通过")),
    ("left", gettext_lazy("已退出")),
    ("all", gettext_lazy("全部")),
]


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def volunteer_list(request):
    _require(request, "volunteers.view_volunteer")
    tab = request.GET.get("tab", "pending")
    if tab not in dict(TABS):
        tab = "pending"
    try:
        skill_id = int(request.GET.get("skill") or 0) or None
    except ValueError:
        skill_id = None
    query = request.GET.get("q", "").strip()
    volunteers = selectors.volunteer_list_for(
        request.user, status="" if tab == "all" else tab, skill_id=skill_id, query=query
    ).order_by("-applied_at", "-id")
    paginator = WagtailPaginator(volunteers, PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "volunteers/admin/list.html",
        {
            "tab": tab,
            "tabs": TABS,
            "pending": selectors.pending_count(request.user),
            "skills": selectors.skills_open(),
            "skill_id": skill_id,
            "query": query,
            "page_obj": page_obj,
            "volunteers": page_obj.object_list,
            "elided_page_range": paginator.get_elided_page_range(page_obj.number),
            "may_enrol": request.user.has_perm("volunteers.add_volunteer"),
        },
    )


def _volunteer_or_404(request, volunteer_id: int) -> Volunteer:
    try:
        return selectors.volunteer_access_for(request.user, volunteer_id)
    except Volunteer.DoesNotExist:
        raise Http404 from None


def volunteer_detail(request, volunteer_id: int):
    _require(request, "volunteers.view_volunteer")
    volunteer = _volunteer_or_404(request, volunteer_id)
    return TemplateResponse(
        request,
        "volunteers/admin/detail.html",
        {
            "volunteer": volunteer,
            "skills": list(volunteer.skills.select_related("skill")),
            "history": selectors.volunteer_history(volunteer),
            "certificates": list(selectors.certificates_of(volunteer)),
            "may_issue": request.user.has_perm("volunteers.issue_certificate"),
            "year": timezone.localdate().year,
            "hours_this_year": selectors.hours_total(volunteer, year=timezone.localdate().year),
            "may_review": request.user.has_perm("volunteers.review_volunteer"),
            "may_change": request.user.has_perm("volunteers.change_volunteer"),
            "sees_proof": request.user.has_perm("volunteers.view_skill_proof"),
            "reason_form": ReasonForm(),
            "Status": Status,
        },
    )


def _back(volunteer_id: int):
    return redirect(reverse("volunteers_admin_detail", args=[volunteer_id]))


def _run(request, volunteer_id: int, call, done: str):
    try:
        call()
    except Volunteer.DoesNotExist:
        raise Http404 from None
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    except LockBusy:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    else:
        messages.success(request, done)
    return _back(volunteer_id)


@require_POST
def volunteer_approve(request, volunteer_id: int):
    _require(request, "volunteers.review_volunteer")
    return _run(
        request,
        volunteer_id,
        lambda: services.volunteer_approve(actor=request.user, volunteer_id=volunteer_id),
        _("已通过审核，申请人会收到通知。"),
    )


@require_POST
def volunteer_decline(request, volunteer_id: int):
    _require(request, "volunteers.review_volunteer")
    reason = request.POST.get("reason", "")
    return _run(
        request,
        volunteer_id,
        lambda: services.volunteer_decline(
            actor=request.user, volunteer_id=volunteer_id, reason=reason
        ),
        _("已标记为未通过，申请人会收到原因。"),
    )


_STANDING = {
    "pause": (services.volunteer_pause, gettext_lazy("已暂停该义工的服务。")),
    "resume": (services.volunteer_resume, gettext_lazy("已恢复该义工的服务。")),
    "leave": (services.volunteer_leave, gettext_lazy("已办理退出。")),
}


@require_POST
def volunteer_standing(request, volunteer_id: int, action: str):
    _require(request, "volunteers.change_volunteer")
    if action not in _STANDING:
        raise Http404
    service, done = _STANDING[action]
    kwargs = {"actor": request.user, "volunteer_id": volunteer_id}
    if action != "resume":
        kwargs["reason"] = request.POST.get("reason", "")
    return _run(request, volunteer_id, lambda: service(**kwargs), str(done))


def volunteer_proof(request, volunteer_id: int, skill_id: int):
    """The uploaded proof of one skill, from private storage; each download is logged."""
    _require(request, "volunteers.view_skill_proof")
    volunteer = _volunteer_or_404(request, volunteer_id)
    row = volunteer.skills.filter(skill_id=skill_id).first()
    if row is None or not row.proof_file:
        raise Http404
    access_log_record(
        user=request.user, action="file", object_type="volunteer_proof", object_id=row.pk
    )
    return FileResponse(row.proof_file.open("rb"), as_attachment=True)


def volunteer_enrol(request):
    """A paper application: find the person in the register (within the user's scope), then
    fill in skills, times and communities."""
    _require(request, "volunteers.add_volunteer")
    skills = selectors.skills_open()
    member = None
    member_id = request.POST.get("member") or request.GET.get("member")
    if member_id:
        try:
            member = (
                member_scope_for(request.user)
                .select_related("household__community")
                .get(pk=int(member_id))
            )
        except (Member.DoesNotExist, ValueError):
            raise Http404 from None
    query = request.GET.get("q", "").strip()
    found, search_error = [], ""
    if member is None and query:
        try:
            found = list(
                member_search(member_scope_for(request.user), query, user=request.user)
                .select_related("household__community")
                .order_by("name", "id")[:20]
            )
        except NumberSearchRefused as refused:
            search_error = str(refused)
        else:
            access_log_record(
                user=request.user,
                action="list",
                object_type="member",
                filters={"q": mask_term(query), "for": "volunteer_enrol"},
                row_count=len(found),
            )
    form = None
    status = 200
    if member is not None:
        if request.method == "POST":
            form = TeamForm(request.POST, request.FILES, skills=skills)
            if form.is_valid():
                try:
                    volunteer = services.volunteer_enrol(
                        actor=request.user,
                        member_id=member.pk,
                        skills=form.skill_choices(),
                        times=form.times_mask(),
                        community_ids=form.community_ids(),
                        consent_share_contact=form.cleaned_data["consent_share_contact"],
                        on_honour_roll=form.cleaned_data["on_honour_roll"],
                        approve=bool(request.POST.get("approve"))
                        and request.user.has_perm("volunteers.review_volunteer"),
                    )
                except services.VolunteerRefused as refused:
                    form.refuse(refused)
                except LockBusy:
                    form.add_error(None, _("系统繁忙，请稍后再试。"))
                else:
                    messages.success(
                        request, _("已录入 %(name)s 的义工申请。") % {"name": volunteer.name}
                    )
                    return _back(volunteer.pk)
            status = 400
        else:
            initial = {"communities": [member.household.community]}
            form = TeamForm(initial=initial, skills=skills)
    return TemplateResponse(
        request,
        "volunteers/admin/enrol.html",
        {
            "member": member,
            "query": query,
            "found": found,
            "search_error": search_error,
            "form": form,
            "may_review": request.user.has_perm("volunteers.review_volunteer"),
        },
        status=status,
    )
