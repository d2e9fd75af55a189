"""Telling applicants the decision: the volunteers app's handler for the outbox
(``core.notices``, topic ``volunteers.volunteer``, one notice per decision: the key is the
decision's log row, so a person declined, applying again and approved is told both times, and
each decision once).

Channels: the in-site message needs an account, email a confirmed address; SMS goes to the
account's verified number, else the number in the register (a paper applicant with no account).
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.services import message_send
from accounts.sms import SmsPurpose, send_sms, sms_number_allowed
from accounts.text import sms_user_text
from core.delivery import Delivery
from core.models import Notice

from .choices import NoticeKind, RequestNoticeKind, RequestStatus, Status
from .models import HelpRequest, Volunteer, VolunteerLog

#: The status the volunteer must still have for the notice to make sense when it leaves.
_STILL = {
    NoticeKind.APPROVED: {Status.ACTIVE, Status.PAUSED},
    NoticeKind.DECLINED: {Status.DECLINED},
}


def _sms_recipient(volunteer: Volunteer) -> tuple[str, SmsPurpose] | None:
    user = volunteer.user if volunteer.user_id and volunteer.user.is_active else None
    if user is not None and user.phone and user.phone_verified:
        phone, purpose = user.phone, SmsPurpose.ACCOUNT
    elif volunteer.member_id and volunteer.member.mobile:
        phone, purpose = volunteer.member.mobile, SmsPurpose.REGISTER
    else:
        return None
    return (phone, purpose) if sms_number_allowed(phone) else None


def _email_verified(user) -> bool:
    return (
        bool(user.email)
        and EmailAddress.objects.filter(
            user_id=user.pk, email__iexact=user.email, verified=True
        ).exists()
    )


def _channels(volunteer: Volunteer) -> list[str]:
    channels = []
    user = volunteer.user if volunteer.user_id and volunteer.user.is_active else None
    if user is not None:
        channels.append("site")
        if _email_verified(user):
            channels.append("email")
    if _sms_recipient(volunteer) is not None:
        channels.append("sms")
    return channels


def decision_text(*, volunteer: Volunteer, kind: str, reason: str) -> tuple[str, str, str]:
    """(title, body, sms) of the decision, in the site's language."""
    name = sms_user_text(volunteer.name, max_length=20)
    if kind == NoticeKind.APPROVED:
        title = _("义工申请已通过")
        body = _(
            "%(name)s，欢迎加入侨之爱义工服务队！您的义工编号是 %(number)s。"
            "可以在“我的义工”页面查看适合您的互助需求和服务岗位。"
        ) % {"name": name, "number": volunteer.number}
        sms = _("%(name)s，您的义工申请已通过，义工编号 %(number)s。欢迎加入侨之爱义工服务队！") % {
            "name": name,
            "number": volunteer.number,
        }
    else:
        title = _("义工申请未通过")
        body = _(
            "%(name)s，很抱歉，您的义工申请这次未通过。原因：%(reason)s。如有疑问，请联系侨联工作人员。"
        ) % {"name": name, "reason": reason}
        sms = _("%(name)s，您的义工申请未通过，原因：%(reason)s。如有疑问请联系侨联。") % {
            "name": name,
            "reason": sms_user_text(reason, max_length=60),
        }
    return title, body, sms


class VolunteerNotices:
    """Handler for the topic ``volunteers.volunteer`` (registered in apps.py)."""

    def plan(self, notice: Notice) -> Delivery | None:
        if notice.kind not in NoticeKind.values:
            raise ValueError(f"unknown notice kind {notice.kind!r}")
        volunteer = (
            Volunteer.objects.select_related("user", "member").filter(pk=notice.object_id).first()
        )
        if volunteer is None or volunteer.status not in _STILL[notice.kind]:
            return None
        log = VolunteerLog.objects.filter(pk=int(notice.key or 0)).first()
        reason = log.reason if log is not None else volunteer.decline_reason

        def send(channel: str) -> None:
            with translation.override(settings.LANGUAGE_CODE):
                title, body, sms = decision_text(
                    volunteer=volunteer, kind=notice.kind, reason=reason
                )
                if channel == "site":
                    message_send(
                        user=volunteer.user, title=title, body=body, url=reverse("volunteers:mine")
                    )
                elif channel == "email":
                    send_mail(title, body, None, [volunteer.user.email])
                elif channel == "sms":
                    recipient = _sms_recipient(volunteer)
                    if recipient is not None:
                        send_sms(phone=recipient[0], text=sms, purpose=recipient[1])

        return Delivery(channels=_channels(volunteer), send=send)

    def describe(self, notice: Notice) -> str:
        volunteer = Volunteer.objects.filter(pk=notice.object_id).first()
        kind = NoticeKind(notice.kind).label if notice.kind in NoticeKind.values else notice.kind
        if volunteer is None:
            return _("义工申请（已删除）· %(kind)s") % {"kind": kind}
        return _("%(name)s · 义工申请 · %(kind)s") % {"name": volunteer.name, "kind": kind}


# -- help requests ------------------------------------------------------------------------------


def _user_sms(user) -> tuple[str, SmsPurpose] | None:
    verified = user is not None and user.is_active and user.phone and user.phone_verified
    if verified and sms_number_allowed(user.phone):
        return user.phone, SmsPurpose.ACCOUNT
    return None


class RequestNotices:
    """Handler for the topic ``volunteers.request``: the requester hears that a volunteer is
    coming and that the help was given (please confirm); the volunteer hears of a new task and
    of a cancellation. In-site message and SMS; a paper volunteer without an account gets the
    SMS at their register number."""

    def plan(self, notice: Notice) -> Delivery | None:
        if notice.kind not in RequestNoticeKind.values:
            raise ValueError(f"unknown notice kind {notice.kind!r}")
        request = (
            HelpRequest.objects.select_related(
                "skill", "requested_by", "volunteer__user", "volunteer__member", "community"
            )
            .filter(pk=notice.object_id)
            .first()
        )
        if request is None or not _request_notice_wanted(request, notice.kind):
            return None
        to_volunteer = notice.kind in (RequestNoticeKind.TAKEN, RequestNoticeKind.CANCELLED)
        if to_volunteer:
            volunteer = request.volunteer
            user = volunteer.user if volunteer.user_id and volunteer.user.is_active else None
            sms = _user_sms(user)
            mobile = volunteer.member.mobile if volunteer.member_id else ""
            if sms is None and mobile and sms_number_allowed(mobile):
                sms = (mobile, SmsPurpose.REGISTER)
            url = reverse("volunteers:tasks")
        else:
            user = request.requested_by if request.requested_by.is_active else None
            sms = _user_sms(user)
            url = reverse("volunteers:request_detail", args=[request.pk])
        channels = (["site"] if user is not None else []) + (["sms"] if sms else [])

        def send(channel: str) -> None:
            with translation.override(settings.LANGUAGE_CODE):
                title, body = request_text(request=request, kind=notice.kind)
                if channel == "site":
                    message_send(user=user, title=title, body=body, url=url)
                elif channel == "sms" and sms is not None:
                    send_sms(phone=sms[0], text=body, purpose=sms[1])

        return Delivery(channels=channels, send=send)

    def describe(self, notice: Notice) -> str:
        request = HelpRequest.objects.filter(pk=notice.object_id).first()
        kind = (
            RequestNoticeKind(notice.kind).label
            if notice.kind in RequestNoticeKind.values
            else notice.kind
        )
        if request is None:
            return _("互助需求（已删除）· %(kind)s") % {"kind": kind}
        return _("互助需求“%(title)s”· %(kind)s") % {"title": request.title, "kind": kind}


def _request_notice_wanted(request: HelpRequest, kind: str) -> bool:
    if kind in (RequestNoticeKind.ASSIGNED, RequestNoticeKind.TAKEN):
        return request.status == RequestStatus.ASSIGNED and request.volunteer_id is not None
    if kind == RequestNoticeKind.DONE:
        return request.status == RequestStatus.DONE
    return request.status == RequestStatus.CANCELLED and request.volunteer_id is not None


def request_text(*, request: HelpRequest, kind: str) -> tuple[str, str]:
    """(title, body) of a help-request notice; the body is also the SMS (one line, user text
    made safe)."""
    title_text = sms_user_text(request.title, max_length=30)
    volunteer = sms_user_text(request.volunteer.name, max_length=20) if request.volunteer else ""
    if kind == RequestNoticeKind.ASSIGNED:
        return _("已安排义工"), _(
            "您的互助需求“%(title)s”已由义工%(name)s接下，对方会尽快联系您。"
        ) % {
            "title": title_text,
            "name": volunteer,
        }
    if kind == RequestNoticeKind.TAKEN:
        return _("新的互助任务"), _(
            "您已接下互助需求“%(title)s”（%(skill)s，%(community)s），请在“我的互助任务”查看联系方式。"
        ) % {
            "title": title_text,
            "skill": request.skill.name,
            "community": request.community.name,
        }
    if kind == RequestNoticeKind.DONE:
        return _("义工已完成"), _("义工%(name)s说“%(title)s”已经完成，请告诉我们效果如何。") % {
            "name": volunteer,
            "title": title_text,
        }
    return _("需求已取消"), _("互助需求“%(title)s”已取消，不用再上门了。谢谢您！") % {
        "title": title_text
    }
