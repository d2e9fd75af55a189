"""Mutual help (互帮互助): a household asks, a volunteer helps, the household says how it went.

open → assigned → done → confirmed, or cancelled. Every step locks the request's row
(``core.locking.lock_row``) and checks its state under the lock: two volunteers taking the same
request at the same moment get one winner and one clear "someone already took it". Each step is
a ``HelpRequestLog`` row and owes its notice in the same transaction (``core.notices``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import notices
from core.locking import lock_row
from households.models import Household
from households.selectors import household_access_for, household_own_for

from ..choices import (
    ALL_TIMES,
    REQUEST_TOPIC,
    URGENCY_DAYS,
    RequestNoticeKind,
    RequestStatus,
    Status,
    Urgency,
)
from ..models import HelpRequest, HelpRequestLog, Skill, Volunteer
from ..selectors import (
    help_request_access_for,
    user_speaks_for_request,
    volunteer_access_for,
    volunteer_own_for,
)
from .common import VolunteerRefused, require_permission

if TYPE_CHECKING:
    from accounts.models import User

TITLE_MAX = 60
DETAILS_MAX = 1000
NOTE_MAX = 300


def _log(request: HelpRequest, *, action: str, actor, note: str = "") -> None:
    HelpRequestLog.objects.create(
        request=request,
        action=action,
        to_status=request.status,
        note=note[:NOTE_MAX],
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def _owe(request: HelpRequest, kind: str, key: str) -> None:
    notices.notice_create(topic=REQUEST_TOPIC, kind=kind, object_id=request.pk, key=key)


def _clean(text: str, limit: int) -> str:
    return (text or "").strip()[:limit]


# -- who may act ---------------------------------------------------------------------------------


def requester_household(actor: User, household_id: int) -> tuple[Household, bool]:
    """The household ``actor`` may ask for, and whether it is on its behalf: their own
    household, or one in their register scope when they may ask for others (group leaders,
    cadres, staff: ``volunteers.add_helprequest``). Raises ``Household.DoesNotExist`` outside
    that."""
    own = household_own_for(actor)
    if own is not None and own.pk == household_id:
        return own, False
    require_permission(actor, "volunteers.add_helprequest")
    return household_access_for(actor, household_id), True


def _speaks_for_household(actor: User, request: HelpRequest) -> bool:
    return user_speaks_for_request(actor, request)


def _locked(actor: User, request_id: int) -> HelpRequest:
    """The request as ``actor`` may see it, locked (``HelpRequest.DoesNotExist`` outside)."""
    help_request_access_for(actor, request_id)  # scope first: outside it, nothing is locked
    return lock_row(HelpRequest.objects.all(), pk=request_id)


# -- writes ---------------------------------------------------------------------------------------


@transaction.atomic
def help_request_create(
    *,
    actor: User,
    household_id: int,
    skill_id: int,
    title: str,
    details: str = "",
    times: int = ALL_TIMES,
    urgency: str = Urgency.NORMAL,
) -> HelpRequest:
    """A household asks for help (by itself, or through its leader or staff)."""
    household, on_behalf = requester_household(actor, household_id)
    title = " ".join((title or "").split())
    if not title:
        raise VolunteerRefused(_("请用一句话写明需要什么帮助。"), field="title")
    if len(title) > TITLE_MAX:
        raise VolunteerRefused(_("标题最多 60 个字，详细情况请写在说明里。"), field="title")
    if len(details or "") > DETAILS_MAX:
        raise VolunteerRefused(_("说明最多 1000 个字。"), field="details")
    skill = Skill.objects.filter(pk=skill_id, is_active=True).first()
    if skill is None:
        raise VolunteerRefused(_("请选择需要的技能。"), field="skill")
    if urgency not in Urgency.values:
        raise VolunteerRefused(_("请选择紧急程度。"), field="urgency")
    times = int(times or 0)
    if times <= 0 or times & ~ALL_TIMES:
        raise VolunteerRefused(_("请至少选择一个方便的时间段。"), field="times")
    if household.status != Household.Status.ACTIVE:
        raise VolunteerRefused(_("该侨户已不在册，不能提出需求。"), field="household")
    now = timezone.now()
    request = HelpRequest.objects.create(
        household=household,
        community_id=household.community_id,
        skill=skill,
        title=title,
        details=(details or "").strip(),
        times=times,
        urgency=urgency,
        requested_by=actor,
        on_behalf=on_behalf,
        due_at=now + timedelta(days=URGENCY_DAYS[Urgency(urgency)]),
    )
    _log(request, action="created", actor=actor, note=_("代为提出") if on_behalf else "")
    return request


def _volunteer_fits(volunteer: Volunteer, request: HelpRequest) -> None:
    if volunteer.status != Status.ACTIVE:
        raise VolunteerRefused(
            _("%(name)s 目前不在服务状态（%(status)s），不能接这项需求。")
            % {"name": volunteer.name, "status": volunteer.get_status_display()},
            field="volunteer",
        )
    if not volunteer.skills.filter(skill_id=request.skill_id).exists():
        raise VolunteerRefused(
            _("%(name)s 没有登记“%(skill)s”这项技能。")
            % {"name": volunteer.name, "skill": request.skill.name},
            field="volunteer",
        )


def _taken_refusal(request: HelpRequest) -> VolunteerRefused:
    if request.status == RequestStatus.CANCELLED:
        return VolunteerRefused(_("这项需求已经取消了。"))
    return VolunteerRefused(_("这项需求已经有义工接下了，看看其他需求吧。"))


@transaction.atomic
def help_request_assign(*, actor: User, request_id: int, volunteer_id: int) -> HelpRequest:
    """Staff give an open request to a volunteer with the skill (within their scope)."""
    require_permission(actor, "volunteers.manage_helprequest")
    request = _locked(actor, request_id)
    if request.status != RequestStatus.OPEN:
        raise _taken_refusal(request)
    volunteer = volunteer_access_for(actor, volunteer_id)
    _volunteer_fits(volunteer, request)
    return _assign(request, volunteer, actor=actor, action="assigned")


@transaction.atomic
def help_request_take(*, actor: User, request_id: int) -> HelpRequest:
    """A volunteer takes an open request matching their skills: first one wins; the second
    is told someone already took it, and nothing changes."""
    volunteer = volunteer_own_for(actor)
    if volunteer is None or volunteer.status != Status.ACTIVE:
        raise VolunteerRefused(_("只有在队的义工可以接单。"))
    request = lock_row(HelpRequest.objects.select_related("skill"), pk=request_id)
    if request.status != RequestStatus.OPEN:
        raise _taken_refusal(request)
    _volunteer_fits(volunteer, request)
    return _assign(request, volunteer, actor=actor, action="taken")


def _assign(request: HelpRequest, volunteer: Volunteer, *, actor, action: str) -> HelpRequest:
    request.volunteer = volunteer
    request.status = RequestStatus.ASSIGNED
    request.assigned_at = timezone.now()
    request.save(update_fields=["volunteer", "status", "assigned_at", "updated_at"])
    _log(request, action=action, actor=actor, note=volunteer.name)
    key = f"{volunteer.pk}:{request.assigned_at.timestamp():.0f}"
    _owe(request, RequestNoticeKind.ASSIGNED, key)
    _owe(request, RequestNoticeKind.TAKEN, key)
    return request


@transaction.atomic
def help_request_release(*, actor: User, request_id: int, reason: str = "") -> HelpRequest:
    """The assigned volunteer (or staff) gives the request back: it is open again."""
    request = _locked(actor, request_id)
    own = volunteer_own_for(actor)
    mine = own is not None and request.volunteer_id == own.pk
    if not mine:
        require_permission(actor, "volunteers.manage_helprequest")
    if request.status != RequestStatus.ASSIGNED:
        raise VolunteerRefused(_("只有已接单、未完成的需求可以退回。"))
    request.volunteer = None
    request.status = RequestStatus.OPEN
    request.assigned_at = None
    request.save(update_fields=["volunteer", "status", "assigned_at", "updated_at"])
    _log(request, action="released", actor=actor, note=_clean(reason, NOTE_MAX))
    return request


@transaction.atomic
def help_request_done(*, actor: User, request_id: int, note: str = "") -> HelpRequest:
    """The volunteer says the help was given; the household is asked to confirm."""
    request = _locked(actor, request_id)
    own = volunteer_own_for(actor)
    if not (own is not None and request.volunteer_id == own.pk):
        require_permission(actor, "volunteers.manage_helprequest")
    if request.status != RequestStatus.ASSIGNED:
        raise VolunteerRefused(_("只有已接单的需求可以标记完成。"))
    request.status = RequestStatus.DONE
    request.done_at = timezone.now()
    request.done_note = _clean(note, NOTE_MAX)
    request.save(update_fields=["status", "done_at", "done_note", "updated_at"])
    _log(request, action="done", actor=actor, note=request.done_note)
    _owe(request, RequestNoticeKind.DONE, str(int(request.done_at.timestamp())))
    return request


@transaction.atomic
def help_request_confirm(
    *, actor: User, request_id: int, rating: int | None, feedback: str = ""
) -> HelpRequest:
    """The household (or its leader, or staff) says how it went: the request is confirmed.
    A request not marked done yet may be confirmed too (the volunteer forgot to say)."""
    request = _locked(actor, request_id)
    if not _speaks_for_household(actor, request):
        raise PermissionDenied(_("只有求助的侨户、其小组长或工作人员可以确认。"))
    if request.status not in (RequestStatus.ASSIGNED, RequestStatus.DONE):
        raise VolunteerRefused(
            _("这项需求现在不能确认（%(status)s）。") % {"status": request.get_status_display()}
        )
    try:
        rating = int(rating) if rating not in (None, "") else None
    except (TypeError, ValueError):
        rating = 0
    if rating is not None and not 1 <= rating <= 5:
        raise VolunteerRefused(_("满意度请选 1 到 5 颗星。"), field="rating")
    now = timezone.now()
    request.status = RequestStatus.CONFIRMED
    request.done_at = request.done_at or now
    request.confirmed_at = now
    request.rating = rating
    request.feedback = _clean(feedback, NOTE_MAX)
    request.save()
    _log(request, action="confirmed", actor=actor, note=request.feedback)
    return request


@transaction.atomic
def help_request_cancel(*, actor: User, request_id: int, reason: str = "") -> HelpRequest:
    """The household (or its leader, or staff) withdraws a request not done yet; an assigned
    volunteer is told."""
    request = _locked(actor, request_id)
    if not (
        _speaks_for_household(actor, request) or actor.has_perm("volunteers.manage_helprequest")
    ):
        raise PermissionDenied(_("只有求助的侨户、其小组长或工作人员可以取消。"))
    if request.status not in (RequestStatus.OPEN, RequestStatus.ASSIGNED):
        raise VolunteerRefused(
            _("这项需求已经%(status)s，不能取消。") % {"status": request.get_status_display()}
        )
    had_volunteer = request.status == RequestStatus.ASSIGNED
    request.status = RequestStatus.CANCELLED
    request.cancel_reason = _clean(reason, 200)
    request.save(update_fields=["status", "cancel_reason", "updated_at"])
    _log(request, action="cancelled", actor=actor, note=request.cancel_reason)
    if had_volunteer:
        _owe(request, RequestNoticeKind.CANCELLED, "")
    return request
