"""Writes on events: sign-up, cancel, waiting-list promotion, check-in, walk-ins.

Locking (as in pretix): every write that changes how many seats are free takes the event's row
lock first, once per transaction, then counts, then writes. On PostgreSQL that is
``SELECT … FOR UPDATE`` on the ``events_eventpage`` row; on SQLite every transaction is
IMMEDIATE (see settings), which serialises writers the same way. Checks (``signup_check_*``)
raise ``SignupRefused`` with a message for the person and never write.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Audience, EventPage, EventQuestion, Signup, SignupLog, SignupNotice
from .selectors import event_seats_confirmed, signup_active_for

if TYPE_CHECKING:
    from accounts.models import User
    from households.models import Member

logger = logging.getLogger(__name__)


def text_clean(value, *, keep_newlines: bool = True) -> str:
    """Typed or pasted text without control characters (Word's soft line break, NUL, …) and
    without spaces around it."""
    text = str(value or "")
    return "".join(
        ch for ch in text if unicodedata.category(ch) != "Cc" or (keep_newlines and ch == "\n")
    ).strip()


class SignupRefused(Exception):
    """A sign-up, cancel or check-in that may not happen; ``str()`` is the message to show."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def event_lock(event_id: int) -> EventPage:
    """Lock the event's row until the transaction ends and return the event.

    Call inside ``transaction.atomic``. Only the ``events_eventpage`` row is locked, not
    Wagtail's page row, so editors are not held up by sign-ups.
    """
    return EventPage.objects.select_for_update(of=("self",)).get(pk=event_id)


def _log(signup: Signup, action: str, actor: User | None) -> None:
    SignupLog.objects.create(signup=signup, action=action, status=signup.status, actor=actor)


def _notify(signup: Signup, kind: str, key: str = "") -> None:
    from .tasks import signup_notice_send

    signup_notice_send.delay_on_commit(signup.pk, kind, key)


# -- checks -------------------------------------------------------------------------------


def signup_check_open(*, event: EventPage, now: datetime | None = None) -> None:
    if not event.live:
        raise SignupRefused(_("这个活动尚未发布，暂时不能报名。"))
    state = event.signup_state(now)
    if state == "cancelled":
        raise SignupRefused(_("这个活动已取消。"))
    if state == "ended":
        raise SignupRefused(_("这个活动已经结束。"))
    if state == "not_open":
        opens = timezone.localtime(event.signup_opens_at)
        raise SignupRefused(
            _("报名尚未开始，%(when)s 开始报名。") % {"when": opens.strftime("%Y-%m-%d %H:%M")}
        )
    if state == "closed":
        raise SignupRefused(_("报名已经截止。"))


def signup_check_audience(*, event: EventPage, member: Member | None) -> None:
    """Raise unless the person (with their register record, if any) may join ``event``."""
    if event.audience == Audience.EVERYONE:
        return
    if member is None:
        raise SignupRefused(
            _("这个活动只面向已登记的侨眷。如果您是侨眷，请联系社区把您的账户和登记信息关联。")
        )
    if event.audience == Audience.COMMUNITIES:
        allowed = set(event.audience_communities.values_list("pk", flat=True))
        if member.household.community_id not in allowed:
            names = "、".join(event.audience_communities.values_list("name", flat=True))
            raise SignupRefused(
                _("这个活动只面向以下社区的居民：%(names)s。") % {"names": names or "—"}
            )


def signup_check_party_size(*, event: EventPage, party_size) -> int:
    try:
        party_size = int(party_size)
    except (TypeError, ValueError):
        raise SignupRefused(_("请填写参加人数（数字）。"), field="party_size") from None
    if party_size < 1:
        raise SignupRefused(_("参加人数至少为 1 人。"), field="party_size")
    if party_size > event.party_size_max:
        if event.party_size_max == 1:
            message = _("这个活动每份报名限本人 1 人。")
        else:
            message = _("这个活动每份报名最多 %(n)d 人（含本人）。") % {"n": event.party_size_max}
        raise SignupRefused(message, field="party_size")
    return party_size


def signup_clean_answers(*, event: EventPage, answers: dict) -> dict:
    """Answers keyed by question id (as text), checked against the event's questions."""
    cleaned: dict[str, str] = {}
    for question in event.questions.all():
        value = text_clean(answers.get(str(question.pk), ""))
        if question.kind == EventQuestion.Kind.YES_NO and value not in ("", "是", "否"):
            raise SignupRefused(
                _("“%(q)s”请回答“是”或“否”。") % {"q": question.label}, field=f"q{question.pk}"
            )
        if (
            question.kind == EventQuestion.Kind.CHOICE
            and value
            and value not in (question.choice_list())
        ):
            raise SignupRefused(
                _("“%(q)s”请从给出的选项中选择。") % {"q": question.label}, field=f"q{question.pk}"
            )
        if question.required and not value:
            raise SignupRefused(
                _("请回答“%(q)s”。") % {"q": question.label}, field=f"q{question.pk}"
            )
        if len(value) > 500:
            raise SignupRefused(
                _("“%(q)s”的回答太长了（最多 500 字）。") % {"q": question.label},
                field=f"q{question.pk}",
            )
        if value:
            cleaned[str(question.pk)] = value
    return cleaned


# -- sign-up --------------------------------------------------------------------------------


@transaction.atomic
def signup_create(
    *,
    event_id: int,
    user: User | None = None,
    member: Member | None = None,
    party_size=1,
    answers: dict | None = None,
    actor: User | None = None,
) -> Signup:
    """Confirm the sign-up while seats remain, else put it on the waiting list.

    ``user`` signs up themselves (their register record, if linked, comes along); staff and group
    leaders pass ``member`` (someone from the register, maybe without an account) and ``actor``.
    Takes the event row lock. Raises ``SignupRefused``; the notice leaves after commit.
    """
    if user is None and member is None:
        raise ValueError("signup_create needs a user or a member")
    if member is None and user is not None:
        member = getattr(user, "member", None)
    if user is None and member is not None and member.user_id:
        user = member.user
    event = event_lock(event_id)
    signup_check_open(event=event)
    signup_check_audience(event=event, member=member)
    party_size = signup_check_party_size(event=event, party_size=party_size)
    cleaned = signup_clean_answers(event=event, answers=answers or {})
    if signup_active_for(event=event, user=user, member=member) is not None:
        raise SignupRefused(_("您已经报名了这个活动，不能重复报名。"))

    taken = event_seats_confirmed(event_id=event.pk)
    # Waiting parties never fit the seats left (promotion runs after every change of seats),
    # so a newcomer who fits takes them, as a promotion would have.
    fits = taken + party_size <= event.capacity
    now = timezone.now()
    phone = (user.phone if user and user.phone else "") or (member.mobile if member else "")
    try:
        with transaction.atomic():
            signup = Signup.objects.create(
                event=event,
                user=user,
                member=member,
                name=(member.name if member else "") or (user.display_name if user else ""),
                phone=phone or "",
                party_size=party_size,
                answers=cleaned,
                status=Signup.Status.CONFIRMED if fits else Signup.Status.WAITLISTED,
                confirmed_at=now if fits else None,
                created_by=actor or user,
            )
    except IntegrityError:
        # Only reachable when the lock is bypassed: the unique constraint is the last guard.
        raise SignupRefused(_("您已经报名了这个活动，不能重复报名。")) from None
    _log(signup, SignupLog.Action.CREATE, actor or user)
    _notify(signup, SignupNotice.Kind.CONFIRMED if fits else SignupNotice.Kind.WAITLISTED)
    return signup


def signup_check_cancel(*, signup: Signup, staff: bool, now: datetime | None = None) -> None:
    if not signup.is_active:
        raise SignupRefused(_("这份报名已经取消了。"))
    now = now or timezone.now()
    event = signup.event
    if event.ends_at <= now:
        raise SignupRefused(_("活动已经结束，不能再取消报名。"))
    if not staff and now >= event.cancel_until:
        when = timezone.localtime(event.cancel_until).strftime("%Y-%m-%d %H:%M")
        raise SignupRefused(
            _("取消报名的截止时间（%(when)s）已过。如有变化请联系活动负责人。") % {"when": when}
        )


@transaction.atomic
def signup_cancel(*, signup_id: int, actor: User | None, staff: bool = False) -> Signup:
    """Cancel a sign-up and give its seats to the waiting list. Staff may cancel after the
    deadline. Takes the event row lock."""
    event_id = Signup.objects.values_list("event_id", flat=True).get(pk=signup_id)
    event = event_lock(event_id)
    signup = Signup.objects.get(pk=signup_id)
    signup.event = event  # the locked row
    signup_check_cancel(signup=signup, staff=staff)
    was_confirmed = signup.status == Signup.Status.CONFIRMED
    signup.status = Signup.Status.CANCELLED
    signup.cancelled_at = timezone.now()
    signup.save(update_fields=["status", "cancelled_at"])
    _log(signup, SignupLog.Action.CANCEL, actor)
    if was_confirmed:
        event_waitlist_promote_locked(event=event, actor=actor)
    return signup


def event_waitlist_promote_locked(*, event: EventPage, actor: User | None) -> list[Signup]:
    """Move waiting sign-ups into free seats, oldest first. Call while holding the event lock.

    A party too large for the seats left keeps its place at the head of the list; smaller
    parties behind it may take those seats (nobody gets a seat that does not exist).
    """
    if event.cancelled or event.ends_at <= timezone.now():
        return []
    free = event.capacity - event_seats_confirmed(event_id=event.pk)
    promoted: list[Signup] = []
    if free <= 0:
        return promoted
    now = timezone.now()
    for signup in Signup.objects.filter(event=event, status=Signup.Status.WAITLISTED).order_by(
        "pk"
    ):
        if free <= 0:
            break
        if signup.party_size > free:
            continue
        signup.status = Signup.Status.CONFIRMED
        signup.confirmed_at = now
        signup.save(update_fields=["status", "confirmed_at"])
        free -= signup.party_size
        _log(signup, SignupLog.Action.PROMOTE, actor)
        _notify(signup, SignupNotice.Kind.PROMOTED)
        promoted.append(signup)
    return promoted


@transaction.atomic
def event_waitlist_promote(*, event_id: int, actor: User | None = None) -> list[Signup]:
    """Promote the waiting list after capacity grew (called when an event is published)."""
    return event_waitlist_promote_locked(event=event_lock(event_id), actor=actor)


# -- at the door ------------------------------------------------------------------------------


@transaction.atomic
def signup_check_in(*, signup: Signup, actor: User) -> Signup:
    """Mark a confirmed sign-up as present. Checking in twice is harmless (keeps the first time)."""
    # No join: FOR UPDATE would then lock the event's row too and hold up sign-ups.
    signup = Signup.objects.select_for_update().get(pk=signup.pk)
    if signup.status == Signup.Status.WAITLISTED:
        raise SignupRefused(_("%(name)s 还在候补名单上，没有确认名额。") % {"name": signup.name})
    if signup.status == Signup.Status.CANCELLED:
        raise SignupRefused(_("%(name)s 的报名已经取消。") % {"name": signup.name})
    if signup.checked_in_at is None:
        signup.checked_in_at = timezone.now()
        signup.checked_in_by = actor
        signup.save(update_fields=["checked_in_at", "checked_in_by"])
        _log(signup, SignupLog.Action.CHECK_IN, actor)
    return signup


@transaction.atomic
def signup_check_in_undo(*, signup: Signup, actor: User) -> Signup:
    signup = Signup.objects.select_for_update().get(pk=signup.pk)
    if signup.checked_in_at is not None and signup.status == Signup.Status.CONFIRMED:
        signup.checked_in_at = None
        signup.checked_in_by = None
        signup.save(update_fields=["checked_in_at", "checked_in_by"])
        _log(signup, SignupLog.Action.UNDO_CHECK_IN, actor)
    return signup


@transaction.atomic
def walk_in_record(
    *,
    event: EventPage,
    name: str,
    phone: str = "",
    party_size=1,
    member: Member | None = None,
    actor: User,
) -> Signup:
    """Record someone who came without a sign-up. Walk-ins count for attendance, not seats."""
    name = text_clean(name or (member.name if member else ""), keep_newlines=False)
    if not name:
        raise SignupRefused(_("请填写现场登记人的姓名。"), field="name")
    try:
        party_size = int(party_size)
    except (TypeError, ValueError):
        raise SignupRefused(_("请填写人数（数字）。"), field="party_size") from None
    if party_size < 1 or party_size > 20:
        raise SignupRefused(_("人数应在 1 到 20 之间。"), field="party_size")
    now = timezone.now()
    signup = Signup.objects.create(
        event=event,
        member=member,
        user=member.user if member and member.user_id else None,
        name=name[:60],
        phone=phone or (member.mobile if member else ""),
        party_size=party_size,
        status=Signup.Status.WALK_IN,
        checked_in_at=now,
        checked_in_by=actor,
        created_by=actor,
    )
    _log(signup, SignupLog.Action.WALK_IN, actor)
    return signup
