"""The words of the notices about sign-ups: titles, in-site text, SMS and email context.

Pure wording: reads the sign-up and its event, sends nothing, writes nothing. Call inside
``translation.override`` (notices go out in the site's language).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.sms import sms_user_text

from .choices import RESUMED_KEY_PREFIX, NoticeKind
from .dates import when_text
from .models import Signup
from .pages import EventPage
from .qr import checkin_text
from .selectors import waitlist_position

Kind = NoticeKind

# Notices that hand over a seat: they carry the check-in QR code (inline in the email) and point
# to "my sign-ups", where the QR is always at hand.
QR_KINDS = (Kind.CONFIRMED, Kind.PROMOTED)
# In-site messages of these kinds link to "my sign-ups" (the QR) rather than the event page.
MY_SIGNUPS_KINDS = (Kind.CONFIRMED, Kind.PROMOTED, Kind.REMINDER)


def event_when_text(event: EventPage) -> str:
    """The start as people say it: "11月28日（周六）14:30" (local time)."""
    return when_text(event.starts_at)


def absolute_url(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def event_link(event: EventPage) -> tuple[str, str]:
    """The event page's path (for in-site links) and full address (for SMS and email)."""
    parts = event.get_url_parts()
    path = parts[2] if parts else "/"
    return path, absolute_url(path)


def signup_qr_png(code: str) -> bytes:
    """The check-in QR as a PNG, holding exactly what ``qr.signup_qr_svg`` shows on the site.

    PNG, not SVG: mail clients do not show SVG images. segno writes PNG on its own (no Pillow).
    """
    buffer = io.BytesIO()
    segno.make_qr(checkin_text(code), error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


@dataclass
class NoticeText:
    title: str  # in-site message title and email subject
    short: str  # in-site message body
    sms: str  # the SMS: ``short`` and a link (the provider adds the signature)
    context: dict  # for the email templates


def notice_text(*, signup: Signup, kind: str, key: str = "") -> NoticeText:
    """The words of one notice. Call inside ``translation.override``."""
    event = signup.event
    path, url = event_link(event)
    my_signups_path = reverse("events:my_signups")
    resumed = kind == Kind.CHANGED and key.startswith(RESUMED_KEY_PREFIX)
    position = waitlist_position(signup) if kind == Kind.WAITLISTED else None
    values = {
        "title": event.title,
        "when": event_when_text(event),
        "place": event.place,
        "code": signup.code,
        "position": position or "",
        "url": url,
        "reason": event.cancel_reason,
        "reason_text": _("原因：%(reason)s。") % {"reason": event.cancel_reason.rstrip("。")}
        if event.cancel_reason
        else "",
    }
    short = _short_text(kind=kind, values=values, resumed=resumed)
    # The SMS carries the same words, each value made one line and capped (staff typed them,
    # but a text must stay short and can carry no second signature).
    sms_short = _short_text(kind=kind, values=_sms_values(values), resumed=resumed)
    if kind in QR_KINDS:
        # Short on purpose: the code to read out, and where the QR is.
        sms = sms_short + _("二维码见“我的报名”：%(url)s") % {"url": absolute_url(my_signups_path)}
    else:
        sms = sms_short + url
    context = {
        **values,
        "signup": signup,
        "event": event,
        "kind": kind,
        "resumed": resumed,
        "path": path,
        "message_path": my_signups_path if kind in MY_SIGNUPS_KINDS else path,
        "my_signups_url": absolute_url(my_signups_path),
        "site_url": settings.WAGTAILADMIN_BASE_URL,
    }
    title = render_to_string(f"emails/events/{kind}.subject.txt", context).strip()
    return NoticeText(title=title, short=short, sms=sms, context=context)


#: How much of each value an SMS carries.
SMS_VALUE_MAX = {"title": 30, "place": 30, "reason": 40}


def _sms_values(values: dict) -> dict:
    sms_values = dict(values)
    for name, max_length in SMS_VALUE_MAX.items():
        sms_values[name] = sms_user_text(values[name], max_length=max_length)
    sms_values["reason_text"] = (
        _("原因：%(reason)s。") % {"reason": sms_values["reason"].rstrip("。")}
        if sms_values["reason"]
        else ""
    )
    return sms_values


def _short_text(*, kind: str, values: dict, resumed: bool) -> str:
    if resumed:
        return _("“%(title)s”不再取消，照常举办：%(when)s，%(place)s。") % values
    return {
        Kind.CONFIRMED: _("您已报名“%(title)s”：%(when)s，%(place)s。签到码 %(code)s。"),
        Kind.WAITLISTED: _(
            "“%(title)s”名额已满，您在候补名单第 %(position)s 位，有名额时会通知您。"
        ),
        Kind.PROMOTED: _(
            "候补转正：您可以参加“%(title)s”了，%(when)s，%(place)s。签到码 %(code)s。"
        ),
        Kind.REMINDER: _("提醒：“%(title)s”将于 %(when)s 在%(place)s开始，签到码 %(code)s。"),
        Kind.CHANGED: _("“%(title)s”时间地点有变：现为 %(when)s，%(place)s。"),
        Kind.CANCELLED: _("很抱歉，原定 %(when)s 的“%(title)s”已取消。%(reason_text)s"),
    }[kind] % values
