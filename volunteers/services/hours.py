"""Service hours: logged by the volunteer (against a help request they served or a shift they
held) or by staff, confirmed by staff or the group leader of the household served, corrected
with a reason while unconfirmed, reversed (never deleted or edited) once confirmed.

Checks run with the volunteer's row locked, so two entries of the same person saved at the
same moment cannot overlap: no time in the future, none empty or negative, at most 24 hours
in one day, no overlap with another entry of the same person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.locking import lock_row
from events.pages import EventPage

from ..choices import RequestStatus, Status
from ..models import HelpRequest, HoursLog, ServiceHours, SlotTaking, Volunteer
from ..selectors import (
    user_speaks_for_request,
    volunteer_access_for,
    volunteer_own_for,
)
from .common import VolunteerRefused, require_permission

if TYPE_CHECKING:
    from accounts.models import User

DAY_LIMIT = Decimal("24")
#: A clock a little ahead of ours still counts as now.
CLOCK_SLACK = timedelta(minutes=5)
REASON_MAX = 200


def _log(entry: ServiceHours, *, action: str, actor, note: str = "") -> None:
    HoursLog.objects.create(
        entry=entry,
        action=action,
        note=note[:300],
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def _hours(started_at: datetime, ended_at: datetime) -> Decimal:
    seconds = Decimal((ended_at - started_at).total_seconds())
    return (seconds / Decimal(3600)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def hours_check(
    *,
    volunteer: Volunteer,
    started_at: datetime,
    ended_at: datetime,
    description: str,
    exclude_id: int | None = None,
) -> Decimal:
    """The hours of the span, or ``VolunteerRefused`` with what is wrong. Call with the
    volunteer's row locked."""
    if started_at is None or ended_at is None:
        raise VolunteerRefused(_("请填写开始和结束时间。"), field="started_at")
    if timezone.is_naive(started_at) or timezone.is_naive(ended_at):
        raise ValueError("service hours need aware datetimes")
    if ended_at <= started_at:
        raise VolunteerRefused(_("结束时间要晚于开始时间。"), field="ended_at")
    if ended_at > timezone.now() + CLOCK_SLACK:
        raise VolunteerRefused(_("不能登记还没有发生的服务时间。"), field="ended_at")
    hours = _hours(started_at, ended_at)
    if hours <= 0:
        raise VolunteerRefused(_("服务时长至少要 1 分钟。"), field="ended_at")
    if hours > DAY_LIMIT:
        raise VolunteerRefused(_("一次登记不能超过 24 小时，请按天分开登记。"), field="ended_at")
    if not (description or "").strip():
        raise VolunteerRefused(_("请写明服务内容。"), field="description")
    others = ServiceHours.objects.filter(volunteer=volunteer).exclude(
        status=ServiceHours.Status.REVERSED
    )
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    overlap = (
        others.filter(started_at__lt=ended_at, ended_at__gt=started_at)
        .order_by("started_at")
        .first()
    )
    if overlap is not None:
        start = timezone.localtime(overlap.started_at)
        end = timezone.localtime(overlap.ended_at)
        raise VolunteerRefused(
            _("和已登记的 %(start)s–%(end)s（%(what)s）时间重叠。")
            % {
                "start": start.strftime("%Y-%m-%d %H:%M"),
                "end": end.strftime("%H:%M"),
                "what": overlap.description,
            },
            field="started_at",
        )
    day = timezone.localtime(started_at).date()
    day_start = timezone.make_aware(datetime(day.year, day.month, day.day))
    same_day = others.filter(
        started_at__gte=day_start, started_at__lt=day_start + timedelta(days=1)
    ).aggregate(total=Sum("hours"))["total"] or Decimal(0)
    if same_day + hours > DAY_LIMIT:
        raise VolunteerRefused(
            _("%(day)s 已登记 %(done)s 小时，再加上这次就超过 24 小时了。")
            % {"day": day.isoformat(), "done": same_day.normalize()},
            field="ended_at",
        )
    return hours


def _logging_volunteer(actor: User, volunteer_id: int | None) -> tuple[Volunteer, bool]:
    if volunteer_id is None:
        own = volunteer_own_for(actor)
        if own is None or own.status in (Status.PENDING, Status.DECLINED):
            raise VolunteerRefused(_("只有义工服务队的成员可以登记服务时长。"))
        return own, False
    require_permission(actor, "volunteers.record_hours")
    return volunteer_access_for(actor, volunteer_id), True


@transaction.atomic
def hours_log(
    *,
    actor: User,
    started_at: datetime,
    ended_at: datetime,
    description: str,
    volunteer_id: int | None = None,
    request_id: int | None = None,
    event_id: int | None = None,
) -> ServiceHours:
    """Log time served. The volunteer logs their own against a help request they served or a
    shift where they held a place; staff (``volunteers.record_hours``) log for any volunteer in
    their scope, for other service too."""
    volunteer, by_staff = _logging_volunteer(actor, volunteer_id)
    request = event = None
    if request_id:
        request = HelpRequest.objects.filter(pk=request_id, volunteer=volunteer).first()
        if request is None or request.status in (RequestStatus.OPEN, RequestStatus.CANCELLED):
            raise VolunteerRefused(_("只能登记自己接下并服务过的互助需求。"), field="request")
    if event_id:
        event = EventPage.objects.filter(pk=event_id).first()
        held = SlotTaking.objects.filter(
            event_id=event_id, volunteer=volunteer, status=SlotTaking.Status.ACTIVE
        ).exists()
        if event is None or not (held or by_staff):
            raise VolunteerRefused(_("只能登记自己报名了岗位的义工活动。"), field="event")
    if not by_staff and request is None and event is None:
        raise VolunteerRefused(
            _("请选择服务的互助需求或义工活动；其他服务请联系侨联工作人员登记。"), field="request"
        )
    lock_row(Volunteer.objects.all(), pk=volunteer.pk)
    description = " ".join((description or "").split())[:200]
    hours = hours_check(
        volunteer=volunteer, started_at=started_at, ended_at=ended_at, description=description
    )
    entry = ServiceHours.objects.create(
        volunteer=volunteer,
        request=request,
        event=event,
        started_at=started_at,
        ended_at=ended_at,
        hours=hours,
        description=description,
        logged_by=actor,
    )
    _log(entry, action="logged", actor=actor)
    return entry


def user_confirms_hours(user, entry: ServiceHours) -> bool:
    """Staff who record hours (within their volunteer scope), or — for hours served to a
    household — its group leader (who may ask for it). Never the volunteer themself:
    whoever records, certifies, but nobody certifies their own time."""
    if not user.is_authenticated:
        return False
    volunteer = entry.volunteer
    if volunteer.user_id == user.pk or (
        volunteer.member_id and volunteer.member.user_id == user.pk
    ):
        return False
    if user.has_perm("volunteers.record_hours"):
        try:
            volunteer_access_for(user, volunteer.pk)
        except Volunteer.DoesNotExist:
            return False
        return True
    if entry.request_id and user.has_perm("volunteers.add_helprequest"):
        return user_speaks_for_request(user, entry.request)
    return False


def _entry_locked(entry_id: int) -> ServiceHours:
    return lock_row(
        ServiceHours.objects.select_related("volunteer__member", "request"),
        pk=entry_id,
        of=("self",),
    )


@transaction.atomic
def hours_confirm(*, actor: User, entry_id: int) -> ServiceHours:
    entry = _entry_locked(entry_id)
    if not user_confirms_hours(actor, entry):
        raise PermissionDenied(_("只有侨联工作人员或所服务侨户的小组长可以确认服务时长。"))
    if entry.status != ServiceHours.Status.LOGGED:
        raise VolunteerRefused(
            _("这条记录已经%(status)s，不能再确认。") % {"status": entry.get_status_display()}
        )
    entry.status = ServiceHours.Status.CONFIRMED
    entry.confirmed_by = actor
    entry.confirmed_at = timezone.now()
    entry.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    _log(entry, action="confirmed", actor=actor)
    return entry


@transaction.atomic
def hours_correct(
    *,
    actor: User,
    entry_id: int,
    started_at: datetime,
    ended_at: datetime,
    description: str,
    reason: str,
) -> ServiceHours:
    """Correct an entry not confirmed yet (the volunteer who logged it, or staff), with a
    reason; the history keeps what it said before."""
    entry = _entry_locked(entry_id)
    own = volunteer_own_for(actor)
    if not (own is not None and own.pk == entry.volunteer_id):
        require_permission(actor, "volunteers.record_hours")
        volunteer_access_for(actor, entry.volunteer_id)
    if entry.status != ServiceHours.Status.LOGGED:
        raise VolunteerRefused(
            _("已确认或已冲销的记录不能修改；如有错误，请工作人员冲销后重新登记。")
        )
    reason = " ".join((reason or "").split())[:REASON_MAX]
    if not reason:
        raise VolunteerRefused(_("请写明修改原因。"), field="reason")
    lock_row(Volunteer.objects.all(), pk=entry.volunteer_id)
    description = " ".join((description or "").split())[:200]
    hours = hours_check(
        volunteer=entry.volunteer,
        started_at=started_at,
        ended_at=ended_at,
        description=description,
        exclude_id=entry.pk,
    )
    before = _("原为 %(start)s–%(end)s，%(hours)s 小时，%(what)s") % {
        "start": timezone.localtime(entry.started_at).strftime("%Y-%m-%d %H:%M"),
        "end": timezone.localtime(entry.ended_at).strftime("%H:%M"),
        "hours": entry.hours,
        "what": entry.description,
    }
    entry.started_at, entry.ended_at, entry.hours = started_at, ended_at, hours
    entry.description = description
    entry.save(update_fields=["started_at", "ended_at", "hours", "description"])
    _log(entry, action="corrected", actor=actor, note=f"{reason}（{before}）")
    return entry


@transaction.atomic
def hours_reverse(*, actor: User, entry_id: int, reason: str) -> ServiceHours:
    """Reverse an entry (staff): it stays in the record, marked and no longer counted."""
    require_permission(actor, "volunteers.record_hours")
    entry = _entry_locked(entry_id)
    volunteer_access_for(actor, entry.volunteer_id)
    if entry.status == ServiceHours.Status.REVERSED:
        raise VolunteerRefused(_("这条记录已经冲销了。"))
    reason = " ".join((reason or "").split())[:REASON_MAX]
    if not reason:
        raise VolunteerRefused(_("请写明冲销原因。"), field="reason")
    entry.status = ServiceHours.Status.REVERSED
    entry.reversed_reason = reason
    entry.save(update_fields=["status", "reversed_reason"])
    _log(entry, action="reversed", actor=actor, note=reason)
    return entry
