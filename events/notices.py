"""Delivering the notices about sign-ups: the events app's handler for the outbox.

The services owe a notice (``core.notices.notice_create`` with topic ``events.signup``, the
sign-up's id and a kind) in the transaction that changes the sign-up; ``core`` delivers it and
asks this handler, when the job runs, whether the notice still makes sense (``plan``: things
change while it waits), which channels reach the person, and how to send each one. Wording is
in ``events.wording``.

Channels: an in-site message and email need an account (email a confirmed address); SMS goes to
the person's verified account number, else their number in the register (entered by staff).
"""

from __future__ import annotations

from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.services import message_send
from accounts.sms import SmsPurpose, send_sms, sms_number_allowed
from core.delivery import Delivery
from core.models import Notice

from .choices import NoticeKind
from .models import Signup
from .wording import QR_KINDS, NoticeText, notice_text, signup_qr_png

Kind = NoticeKind


# -- rules ----------------------------------------------------------------------------------------


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


# -- channels -------------------------------------------------------------------------------------


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


def _send_site(signup: Signup, text: NoticeText) -> None:
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


def _send_sms(signup: Signup, text: NoticeText) -> None:
    recipient = signup_sms_recipient(signup)
    if recipient is not None:  # checked by signup_channels; the number may have changed since
        phone, purpose = recipient
        send_sms(phone=phone, text=text.sms, purpose=purpose)


SENDERS = {"site": _send_site, "email": _send_email, "sms": _send_sms}


# -- the handler ----------------------------------------------------------------------------------


class SignupNotices:
    """``core.notices`` handler for the topic ``events.signup`` (registered in apps.py)."""

    def plan(self, notice: Notice) -> Delivery | None:
        if notice.kind not in Kind.values:
            raise ValueError(f"unknown notice kind {notice.kind!r}")
        signup = (
            Signup.objects.select_related("event", "user", "member")
            .filter(pk=notice.object_id)
            .first()
        )
        if signup is None or not signup_notice_wanted(signup=signup, kind=notice.kind):
            return None
        texts: list[NoticeText] = []

        def send(channel: str) -> None:
            with translation.override(settings.LANGUAGE_CODE):
                if not texts:  # worded once, when the first channel goes
                    texts.append(notice_text(signup=signup, kind=notice.kind, key=notice.key))
                SENDERS[channel](signup, texts[0])

        return Delivery(channels=signup_channels(signup), send=send)

    def describe(self, notice: Notice) -> str:
        signup = Signup.objects.select_related("event").filter(pk=notice.object_id).first()
        kind = Kind(notice.kind).label if notice.kind in Kind.values else notice.kind
        if signup is None:
            return _("活动报名（已删除）· %(kind)s") % {"kind": kind}
        return _("%(name)s ·“%(title)s”· %(kind)s") % {
            "name": signup.name,
            "title": signup.event.title,
            "kind": kind,
        }
