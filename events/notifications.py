"""Notices about sign-ups: in-site message, SMS and email, each sent at most once.

``signup_notice_deliver`` is what the ``signup_notice_send`` task runs. The protocol that makes a
job safe to run again (a retry, a worker that died after sending, a message delivered twice by
the broker):

1. ``get_or_create`` the ``SignupNotice`` row for ``(signup, kind, key)``;
2. for each channel, in its own transaction holding ``select_for_update()`` on that row: skip it
   when its ``*_sent_at`` is set, else send and set it.

A second worker running the same job waits on the lock, then finds the channel marked. A failing
channel (SmsError, a mail server's OSError) leaves the others sent and marked and is raised at
the end, so Celery retries and the retry sends only what is missing.

The gap that remains is the one no sender can close: a message handed to the provider just
before the process dies, before the commit, is sent again by the retry.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.mime.image import MIMEImage
from typing import TYPE_CHECKING

import segno
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.sms import SmsError, SmsPurpose, send_sms, sms_number_allowed, sms_user_text

from .dates import when_text
from .models import EventPage, Signup, SignupNotice
from .qr import checkin_text
from .selectors import waitlist_position

if TYPE_CHECKING:
    from wagtail.models import Revision

logger = logging.getLogger(__name__)

Kind = SignupNotice.Kind

# Notices that hand over a seat: they carry the check-in QR code (inline in the email) and point
# to "my sign-ups", where the QR is always at hand.
QR_KINDS = (Kind.CONFIRMED, Kind.PROMOTED)
# In-site messages of these kinds link to "my sign-ups" (the QR) rather than the event page.
MY_SIGNUPS_KINDS = (Kind.CONFIRMED, Kind.PROMOTED, Kind.REMINDER)
# Key prefix of the "changed" notice sent when a cancelled event is called on again: the job only
# has (signup, kind, key) to go by, so the key tells it to use the "goes ahead" wording.
RESUMED_KEY_PREFIX = "resumed:"


# -- wording ----------------------------------------------------------------------------------


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


# -- rules ------------------------------------------------------------------------------------


def signup_notice_wanted(*, signup: Signup, kind: str, now=None) -> bool:
    """Whether the notice still makes sense when the job runs (things change while it waits)."""
    now = now or timezone.now()
    event = signup.event
    if signup.status == Signup.Status.WALK_IN:
        return False
    if kind == Kind.CANCELLED:
        # The event's cancellation reaches everyone who held a place when it was called off.
        return event.cancelled
    if signup.status == Signup.Status.CANCELLED or event.cancelled:
        return False
    if kind == Kind.WAITLISTED:
        return signup.status == Signup.Status.WAITLISTED  # promoted meanwhile: "promoted" follows
    if kind in (Kind.CONFIRMED, Kind.PROMOTED):
        return signup.status == Signup.Status.CONFIRMED
    if kind == Kind.REMINDER:
        return signup.status == Signup.Status.CONFIRMED and event.live and event.starts_at > now
    if kind == Kind.CHANGED:
        return event.ends_at > now
    raise ValueError(f"unknown notice kind {kind!r}")


# -- delivery ---------------------------------------------------------------------------------


def _send_site(signup: Signup, text: NoticeText) -> None:
    from accounts.services import message_send

    message_send(
        user=signup.user, title=text.title, body=text.short, url=text.context["message_path"]
    )


def _qr_image(code: str, content_id: str) -> MIMEImage:
    image = MIMEImage(signup_qr_png(code), "png")
    image.add_header("Content-ID", f"<{content_id}>")
    image.add_header("Content-Disposition", "inline", filename=f"{content_id}.png")
    return image


def _send_email(signup: Signup, text: NoticeText) -> None:
    kind = text.context["kind"]
    context = dict(text.context)
    if kind in QR_KINDS:
        context["qr_cid"] = f"qr-{signup.code}"
    email = EmailMultiAlternatives(
        subject=text.title,
        body=render_to_string(f"emails/events/{kind}.txt", context),
        to=[signup.user.email],
    )
    email.attach_alternative(render_to_string(f"emails/events/{kind}.html", context), "text/html")
    if kind in QR_KINDS:
        # multipart/related around the text/html alternatives and the image, so that the html
        # part's ``cid:`` reference resolves and clients show the image in place, not as a file.
        email.mixed_subtype = "related"
        email.attach(_qr_image(signup.code, context["qr_cid"]))
    email.send()


def signup_sms_recipient(signup: Signup) -> tuple[str, SmsPurpose] | None:
    """The number a notice may be texted to, and why it may: the person's own account number
    once they have verified it, else their number in the register (entered by staff). A number
    only typed somewhere (an account's number never verified) gets no text; nor does a number
    outside SMS_ALLOWED_REGIONS. Read when the notice leaves, so a corrected number is used."""
    user = signup.user if signup.user_id and signup.user.is_active else None
    if user is not None and user.phone and user.phone_verified:
        phone, purpose = user.phone, SmsPurpose.ACCOUNT
    elif signup.member_id and signup.member.mobile:
        phone, purpose = signup.member.mobile, SmsPurpose.REGISTER
    else:
        return None
    return (phone, purpose) if sms_number_allowed(phone) else None


def _send_sms(signup: Signup, text: NoticeText) -> None:
    recipient = signup_sms_recipient(signup)
    if recipient is not None:  # checked by signup_channels; the number may have changed since
        phone, purpose = recipient
        send_sms(phone=phone, text=text.sms, purpose=purpose)


SENDERS = {"site": _send_site, "email": _send_email, "sms": _send_sms}


def signup_channels(signup: Signup) -> list[str]:
    """The channels that can reach this person: in-site and email need an account."""
    channels = []
    user = signup.user if signup.user_id and signup.user.is_active else None
    if user is not None:
        channels.append("site")
        if user.email:
            channels.append("email")
    if signup_sms_recipient(signup) is not None:
        channels.append("sms")
    return channels


def signup_notice_deliver(*, signup_id: int, kind: str, key: str = "") -> bool:
    """Send one notice on every channel that can reach the person, each at most once.

    Meant for the worker, outside any transaction: each channel commits on its own. Returns True
    when something was sent now, False when there was nothing (left) to send, also when the
    sign-up is gone (deleted while the job waited, or before it ran). Raises the first
    SmsError/OSError after trying every channel, with the failed channels left unmarked.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notice kind {kind!r}")
    signup = Signup.objects.select_related("event", "user", "member").filter(pk=signup_id).first()
    if signup is None or not signup_notice_wanted(signup=signup, kind=kind):
        return False
    try:
        notice, _created = SignupNotice.objects.get_or_create(signup=signup, kind=kind, key=key)
    except IntegrityError:
        # Deleted between the read above and this insert: the foreign key refuses the row.
        if not Signup.objects.filter(pk=signup_id).exists():
            return False
        raise
    channels = [
        channel for channel in signup_channels(signup) if not getattr(notice, f"{channel}_sent_at")
    ]
    if not channels:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        text = notice_text(signup=signup, kind=kind, key=key)
    sent = False
    failure: Exception | None = None
    for channel in channels:
        try:
            sent |= _channel_send(notice_id=notice.pk, channel=channel, signup=signup, text=text)
        except (SmsError, OSError) as exc:
            logger.warning("notice %s (%s) by %s failed: %s", notice.pk, kind, channel, exc)
            failure = failure or exc
    if failure is not None:
        raise failure
    return sent


def _channel_send(*, notice_id: int, channel: str, signup: Signup, text: NoticeText) -> bool:
    field = f"{channel}_sent_at"
    with transaction.atomic():
        notice = SignupNotice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None:
            return False  # the sign-up was deleted meanwhile (its notices with it)
        if getattr(notice, field) is not None:
            return False  # another run got here first
        with translation.override(settings.LANGUAGE_CODE):
            SENDERS[channel](signup, text)
        setattr(notice, field, timezone.now())
        notice.save(update_fields=[field])
    logger.info("notice %s (%s) sent by %s", notice_id, notice.kind, channel)
    return True


# -- reminders ---------------------------------------------------------------------------------


#: Someone confirmed this close to the start has just been told everything: no reminder.
REMINDER_NOT_WITHIN = timedelta(hours=12)


def reminder_due_signup_ids(*, now=None, within=None) -> list[int]:
    """Confirmed sign-ups of live, not cancelled events starting within ``within`` (24 h) that
    have no reminder notice yet and were confirmed at least 12 hours before the start. One
    query."""
    from django.db.models import Exists, F, OuterRef

    now = now or timezone.now()
    within = within or timedelta(hours=24)
    reminded = SignupNotice.objects.filter(signup=OuterRef("pk"), kind=Kind.REMINDER)
    return list(
        Signup.objects.filter(
            status=Signup.Status.CONFIRMED,
            event__live=True,
            event__cancelled=False,
            event__starts_at__gt=now,
            event__starts_at__lte=now + within,
            confirmed_at__lte=F("event__starts_at") - REMINDER_NOT_WITHIN,
        )
        .filter(~Exists(reminded))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# -- when an event is published -----------------------------------------------------------------

# Changes of these fields are told to everyone with a place.
TOLD_FIELDS = ("starts_at", "ends_at", "place")
# Log actions that put a revision live (``publish_scheduled`` logs its own).
PUBLISH_ACTIONS = ("wagtail.publish", "wagtail.publish.scheduled")


def event_previous_published(*, event: EventPage, revision_id: int) -> EventPage | None:
    """The event as it was last published before ``revision_id``, from Wagtail's history.

    None on the first publication (or when that revision has been purged). The log entry of the
    publication under way is written after ``page_published``, so the newest entry is the
    previous one.
    """
    from wagtail.models import PageLogEntry, Revision

    previous_id = (
        PageLogEntry.objects.filter(
            page_id=event.pk, action__in=PUBLISH_ACTIONS, revision__isnull=False
        )
        .exclude(revision_id=revision_id)
        .order_by("-timestamp", "-pk")
        .values_list("revision_id", flat=True)
        .first()
    )
    revision = Revision.page_revisions.filter(pk=previous_id).first() if previous_id else None
    return revision.as_object() if revision is not None else None


def _notify_active_signups(
    *, event: EventPage, kind: str, key: str, exclude: tuple[int, ...] = ()
) -> int:
    from .tasks import signup_notice_send

    signup_ids = list(
        Signup.objects.active()
        .filter(event=event)
        .exclude(pk__in=exclude)
        .values_list("pk", flat=True)
    )
    for signup_id in signup_ids:
        signup_notice_send.delay_on_commit(signup_id, kind, key)
    return len(signup_ids)


def _told(value):
    """A value as people are told it: times to the minute. (Revisions stored as JSON keep
    milliseconds while the page in memory keeps microseconds; neither is news.)"""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(second=0, microsecond=0)
    return value


def event_published_notify(*, event: EventPage, revision: Revision) -> None:
    """Tell people with a place what changed in this publication of ``event``.

    ``event`` carries the values just published. Compared with the previous publication:

    - cancelled → a "cancelled" notice to every active sign-up, keyed by the revision: publishing
      the cancelled event again sends nothing, but cancelling it again after calling it on does;
    - no longer cancelled → the waiting list takes the seats freed meanwhile ("promoted"), and
      everyone else with a place gets a "changed" notice saying that the event goes ahead;
    - start, end or place changed → a "changed" notice keyed by the revision (a re-publication
      without changes sends nothing);
    - more seats → the waiting list moves up (``event_waitlist_promote`` sends "promoted").

    Notices leave after commit.
    """
    from .services import event_waitlist_promote

    if not event.live:
        return
    revision_id = revision.pk
    previous = event_previous_published(event=event, revision_id=revision_id)
    if previous is None:
        return
    if event.cancelled:
        if not previous.cancelled:
            count = _notify_active_signups(event=event, kind=Kind.CANCELLED, key=str(revision_id))
            logger.info("event %s cancelled: %d sign-ups told", event.pk, count)
        return
    if previous.cancelled:
        # Seats given up while the event was off go to the waiting list now. Their "promoted"
        # notice already says they can come; the others are told the event goes ahead (with
        # its time and place, in case those changed too).
        promoted = event_waitlist_promote(event_id=event.pk)
        count = _notify_active_signups(
            event=event,
            kind=Kind.CHANGED,
            key=f"{RESUMED_KEY_PREFIX}{revision_id}",
            exclude=tuple(signup.pk for signup in promoted),
        )
        logger.info(
            "event %s called on again: %d promoted, %d told", event.pk, len(promoted), count
        )
        return
    if event.capacity > previous.capacity:
        event_waitlist_promote(event_id=event.pk)
    if any(_told(getattr(event, name)) != _told(getattr(previous, name)) for name in TOLD_FIELDS):
        count = _notify_active_signups(event=event, kind=Kind.CHANGED, key=str(revision_id))
        logger.info(
            "event %s changed (revision %s): %d sign-ups told", event.pk, revision_id, count
        )
