"""Writes on events: sign-up, cancel, waiting-list promotion, publication, reminders, check-in,
walk-ins.

Locking (as in pretix): every write that changes seats locks the event's ``EventSeats`` row
(``seats_lock``: ``core.locking.lock_row``, 3 s timeout, then "系统繁忙，请稍后再试"), once per
transaction and late: what does not depend on the seats (the person, the event's settings, the
answers) is read and checked before, so that under the lock a sign-up only counts and writes.
The counts live on that row and change only under its lock, so a sign-up reads them instead of
adding up sign-ups; in the common case one statement locks the row, counts and takes the seats
(``seats_take_at_once``). On SQLite every transaction is IMMEDIATE (see settings), which
serialises writers the same way.

**The waiting list keeps its order whatever changes seats.** Before a newcomer is confirmed,
``signup_create`` promotes every waiting party that fits the seats free now: seats freed or
added by anything (an editor raising capacity commits the page before Wagtail tells us, so the
promotion that follows a publication runs later, in its own transaction) go to the oldest
waiting parties first, never to someone who came later.

Checks (``signup_check_*``) raise ``SignupRefused`` with a message for the person and never
write. Services that act for a register person take the actor and find the person through the
actor's register scope themselves. Every message leaves through the outbox (``core.notices``):
its row is written here, in the same transaction.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, OperationalError, connections, router, transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import PageLogEntry, Revision

from core import notices
from core.inserting import insert_together
from core.locking import LockBusy, is_busy_error, lock_row
from households.selectors import member_access_for

from . import audiences
from .choices import NOTICE_TOPIC, RESUMED_KEY_PREFIX, Audience, NoticeKind, QuestionKind
from .models import EventSeats, Signup, SignupLog
from .pages import EventPage, EventQuestion
from .selectors import (
    reminder_due_signup_ids,
    signup_access_for,
    user_manages_signups,
    user_signs_up_members,
)

if TYPE_CHECKING:
    from accounts.models import User
    from households.models import Member

logger = logging.getLogger(__name__)

#: Kept for what other code and the tests expect from this module.
Kind = NoticeKind

#: ``signup_create`` promotes waiting parties that fit before it confirms a newcomer. Only the
#: negative control of the concurrency test turns this off.
PROMOTE_BEFORE_CONFIRMING = True
#: How long a write waits for the seat lock before answering "busy" (pretix waits 3 s too).
SEAT_LOCK_TIMEOUT = 3.0


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


# -- the seat lock ------------------------------------------------------------------------------


def seats_lock(event_id: int, *, event: EventPage | None = None) -> EventSeats:
    """Lock the event's seat row until the transaction ends and return it, with the event in
    ``.event``: ``event`` when the caller read it already (then the lock's query reads the seat
    row alone, the shortest the lock can be held), else the event as committed now. The first
    sign-up of an event creates the row.

    Call inside ``transaction.atomic``. Only the seat row is locked, not the page's rows, so
    editors are not held up by sign-ups. Raises ``SignupRefused`` ("系统繁忙…") when the lock
    stays taken for 3 s, ``EventPage.DoesNotExist`` for an unknown event.
    """
    # With the event read already, the lock's query still reads what can change the count's
    # meaning at any moment (an editor publishes without this lock): the capacity and whether
    # the event was called off, from the event's own row (the page's Wagtail row is not joined).
    queryset = (
        EventSeats.objects.annotate(
            capacity_now=F("event__capacity"), cancelled_now=F("event__cancelled")
        )
        if event is not None
        else EventSeats.objects.select_related("event")
    )
    try:
        seats = _seats_row_lock(queryset, event_id)
    except EventSeats.DoesNotExist:
        if event is None and not EventPage.objects.filter(pk=event_id).exists():
            raise EventPage.DoesNotExist(f"no event {event_id}") from None
        # Two first sign-ups at once: the second insert waits for the first, then finds its row.
        EventSeats.objects.get_or_create(event_id=event_id, defaults=_counts(event_id))
        seats = _seats_row_lock(queryset, event_id)
    if event is not None:
        event.capacity, event.cancelled = seats.capacity_now, seats.cancelled_now
        seats.event = event
    return seats


def _seats_row_lock(queryset, event_id: int) -> EventSeats:
    try:
        return lock_row(queryset, timeout=SEAT_LOCK_TIMEOUT, pk=event_id)
    except LockBusy as busy:
        raise SignupRefused(busy.message) from busy


#: ``seats_take_at_once``: lock the seat row and take the seats or a place on the waiting list
#: in the one statement that also reads the event's capacity and whether it was called off as
#: they are now. Only where nothing else can be due first: nobody waits, or every seat is taken
#: (then nobody can move up). Confirming needs ``confirmed < capacity``, so it happens only when
#: nobody waited, and the waiting count returned says which it was: 0 when seats were taken.
_TAKE_SQL = """
    UPDATE events_eventseats AS seats
    SET confirmed = seats.confirmed
            + CASE WHEN seats.confirmed + %s <= page.capacity THEN %s ELSE 0 END,
        waiting = seats.waiting
            + CASE WHEN seats.confirmed + %s <= page.capacity THEN 0 ELSE 1 END
    FROM events_eventpage AS page{timeout_from}
    WHERE seats.event_id = %s AND page.page_ptr_id = seats.event_id AND NOT page.cancelled
        AND (seats.waiting = 0 OR seats.confirmed >= page.capacity)
    RETURNING waiting
"""
#: PostgreSQL: the lock timeout is set by the statement that then waits for the row, so it costs
#: no round trip of its own: the row is updated (and waited for) only once the join has read
#: the one-row CTE, which sets it for the rest of the transaction (as ``lock_row`` does).
_TAKE_SQL_POSTGRESQL = (
    "WITH timeout AS (SELECT set_config('lock_timeout', %s, true))"
    + _TAKE_SQL.format(timeout_from=", timeout")
)
_TAKE_SQL_SQLITE = _TAKE_SQL.format(timeout_from="")


def seats_take_at_once(event_id: int, *, party_size: int) -> bool | None:
    """The short way of ``seats_take``, one statement: lock the seat row and, when nothing else
    can be due first (nobody waits, or every seat is taken), take ``party_size`` seats if they
    fit, else one place on the waiting list. Returns whether seats were taken, or None when the
    long way must decide (someone waits while seats are free, the event was called off, its
    seat row does not exist yet): then nothing was written.

    Call inside ``transaction.atomic``; the lock is held until it ends. Raises
    ``SignupRefused`` ("系统繁忙…") when the lock stays taken for ``SEAT_LOCK_TIMEOUT``.
    """
    connection = connections[router.db_for_write(EventSeats)]
    if not connection.in_atomic_block:
        raise RuntimeError("seats_take_at_once() must run inside transaction.atomic().")
    if connection.vendor == "postgresql":
        sql = _TAKE_SQL_POSTGRESQL
        params = [f"{int(SEAT_LOCK_TIMEOUT * 1000)}ms"]
    else:  # SQLite: the IMMEDIATE transaction holds the database already
        sql, params = _TAKE_SQL_SQLITE, []
    params += [party_size, party_size, party_size, event_id]
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
    except OperationalError as exc:
        if is_busy_error(exc):
            logger.warning("seat lock of event %s busy for %.1fs", event_id, SEAT_LOCK_TIMEOUT)
            raise SignupRefused(LockBusy().message) from exc
        raise
    return None if row is None else row[0] == 0


def seats_take(event_id: int, *, event: EventPage, party_size: int) -> bool:
    """Lock the event's seat row, let the waiting list move up into seats free now, then take
    ``party_size`` seats if they fit, else one place on the waiting list, and write the counts.
    Returns whether seats were taken. ``event`` was read and checked before (its capacity and
    whether it was called off are read again under the lock).

    Call inside ``transaction.atomic`` and write the sign-up before it ends: the lock is held
    until then. Raises ``SignupRefused`` (busy; the event was called off meanwhile).
    """
    took = seats_take_at_once(event_id, party_size=party_size)
    if took is not None:
        return took
    seats = seats_lock(event_id, event=event)
    if seats.event.cancelled:  # called off while this sign-up was being checked
        raise SignupRefused(_("这个活动已取消。"))
    if PROMOTE_BEFORE_CONFIRMING:
        _promote_locked(seats=seats, actor=None)
    took = seats.confirmed + party_size <= seats.event.capacity
    if took:
        seats.confirmed += party_size
    else:
        seats.waiting += 1
    _seats_save(seats)
    return took


def _counts(event_id: int) -> dict[str, int]:
    """The seat counts as the sign-ups say (for a new seat row, and for checks)."""
    rows = Signup.objects.filter(event_id=event_id)
    return {
        "confirmed": rows.filter(status=Signup.Status.CONFIRMED).aggregate(
            n=Coalesce(Sum("party_size"), 0)
        )["n"],
        "waiting": rows.filter(status=Signup.Status.WAITLISTED).count(),
    }


def _seats_save(seats: EventSeats) -> None:
    EventSeats.objects.filter(pk=seats.pk).update(confirmed=seats.confirmed, waiting=seats.waiting)


@transaction.atomic
def event_seats_recount(*, event_id: int) -> bool:
    """Set the event's seat counts from its sign-ups (after sign-ups written in bulk, or to
    repair). Takes the seat lock. Returns whether the counts were off."""
    seats = seats_lock(event_id)
    counts = _counts(event_id)
    if (seats.confirmed, seats.waiting) == (counts["confirmed"], counts["waiting"]):
        return False
    logger.warning(
        "event %s: seat counts were %s/%s, sign-ups say %s/%s", event_id,
        seats.confirmed, seats.waiting, counts["confirmed"], counts["waiting"],
    )  # fmt: skip
    seats.confirmed, seats.waiting = counts["confirmed"], counts["waiting"]
    _seats_save(seats)
    return True


def _log(signup: Signup, action: str, actor: User | None) -> None:
    SignupLog.objects.create(signup=signup, action=action, status=signup.status, actor=actor)


# -- checks -------------------------------------------------------------------------------------


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


def signup_check_audience(
    *, event: EventPage, member: Member | None, user: User | None = None
) -> None:
    """Raise unless the person (with their register record, if any) may join ``event``: the
    event's own audience first, then the rules other apps registered for its kind
    (``events.audiences``)."""
    if event.audience != Audience.EVERYONE:
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
    refusal = audiences.refusal_for(event=event, user=user, member=member)
    if refusal:
        raise SignupRefused(refusal)


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


def signup_clean_answers(*, questions: list[EventQuestion], answers: dict) -> dict:
    """Answers keyed by question id (as text), checked against the event's questions."""
    cleaned: dict[str, str] = {}
    for question in questions:
        value = text_clean(answers.get(str(question.pk), ""))
        if question.kind == QuestionKind.YES_NO and value not in ("", "是", "否"):
            raise SignupRefused(
                _("“%(q)s”请回答“是”或“否”。") % {"q": question.label}, field=f"q{question.pk}"
            )
        if question.kind == QuestionKind.CHOICE and value and value not in question.choice_list():
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


# -- sign-up ------------------------------------------------------------------------------------


def signup_create(
    *,
    event_id: int,
    actor: User,
    member_id: int | None = None,
    party_size=1,
    answers: dict | None = None,
) -> Signup:
    """Confirm the sign-up while seats remain, else put it on the waiting list.

    Without ``member_id`` the actor signs up themselves (their register record, if linked,
    comes along). With it, the actor (staff, a group leader, a cadre) signs up someone from the
    register: the actor needs ``events.signup_register_members`` and the person must be in the
    actor's register scope, else ``Member.DoesNotExist`` (as if there were nobody). Raises
    ``EventPage.DoesNotExist`` for an unknown event.

    Everything that does not depend on the seats is read and checked before the seat lock: the
    person, the event (the seat lock never protected the page's row: an editor may publish at
    any moment, and what a publication means for sign-ups runs later under the lock, see
    ``event_published``) and the answers. Under the lock only the seats are counted and taken
    (``seats_take``, one statement in the common case) and the rows written
    (``_signup_write_locked``); a second active sign-up of the same person is refused there by
    the unique constraints.

    Promotes waiting parties that fit before confirming a newcomer. Raises ``SignupRefused``
    (nothing written); the notice is in the outbox when this returns.
    """
    if member_id is None:
        user = actor
        member = getattr(actor, "member", None)
    else:
        if not user_signs_up_members(actor):
            raise SignupRefused(_("您没有为他人报名的权限。"))
        member = member_access_for(actor, member_id)
        user = member.user if member.user_id else None
    if member is not None and member.is_deceased:
        raise SignupRefused(_("登记信息显示此人已故，不能报名。"))
    event = EventPage.objects.get(pk=event_id)
    signup_check_open(event=event)
    signup_check_audience(event=event, member=member, user=user)
    party_size = signup_check_party_size(event=event, party_size=party_size)
    questions = list(EventQuestion.objects.filter(page_id=event_id).order_by("sort_order"))
    cleaned = signup_clean_answers(questions=questions, answers=answers or {})
    phone = (user.phone if user is not None and user.phone else "") or (
        member.mobile if member is not None else ""
    )
    signup = Signup(
        event=event,
        user=user,
        member=member,
        name=(member.name if member is not None else "") or (user.display_name if user else ""),
        phone=phone or "",
        party_size=party_size,
        answers=cleaned,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            took = seats_take(event_id, event=event, party_size=party_size)
            _signup_write_locked(signup, took=took, actor=actor)
    except IntegrityError:
        # One active sign-up per person and event is the database's rule (the unique
        # constraints on Signup, checked by the insert): asking first would cost every sign-up
        # a query to spare a rare second press the lock. Nothing was written.
        if not EventPage.objects.filter(pk=event_id).exists():
            raise EventPage.DoesNotExist(f"no event {event_id}") from None  # deleted meanwhile
        raise SignupRefused(_("您已经报名了这个活动，不能重复报名。")) from None
    return signup


def _signup_write_locked(signup: Signup, *, took: bool, actor: User) -> None:
    """Write ``signup`` (checked, not saved yet) as confirmed when ``took`` seats, else as
    waitlisted, with its log row and its notice. Call while holding the seat lock, after
    ``seats_take``: nothing slow here, every other sign-up of the event waits for this
    transaction's commit."""
    if took:
        signup.status, signup.confirmed_at = Signup.Status.CONFIRMED, timezone.now()
    else:
        signup.status = Signup.Status.WAITLISTED
    log = SignupLog(action=SignupLog.Action.CREATE, status=signup.status, actor=actor)
    # The sign-up is new: nothing can be owed about it yet, so its notice is one insert.
    notice = notices.notice_new(
        topic=NOTICE_TOPIC, kind=NoticeKind.CONFIRMED if took else NoticeKind.WAITLISTED
    )
    # One statement on PostgreSQL: the lock is held for each round trip to the database.
    insert_together(signup, then=[(log, "signup"), (notice, "object_id")])
    notices.notice_owed(notice)


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
def signup_cancel(*, signup_id: int, actor: User) -> Signup:
    """Cancel a sign-up and give its seats to the waiting list.

    Who may: the person themselves (their account or their register record), whoever signs up
    register people for those in their scope (within the deadline), and staff who manage
    sign-ups (also after the deadline). Anyone else gets ``Signup.DoesNotExist``, as if there
    were no such sign-up. Takes the seat lock.
    """
    event_id = signup_access_for(actor).values_list("event_id", flat=True).get(pk=signup_id)
    seats = seats_lock(event_id)
    signup = Signup.objects.select_related("user", "member").get(pk=signup_id)
    signup.event = seats.event
    staff = user_manages_signups(actor)
    signup_check_cancel(signup=signup, staff=staff)
    was_confirmed = signup.status == Signup.Status.CONFIRMED
    signup.status = Signup.Status.CANCELLED
    signup.cancelled_at = timezone.now()
    signup.save(update_fields=["status", "cancelled_at"])
    if was_confirmed:
        seats.confirmed -= signup.party_size
    else:
        seats.waiting -= 1
    _log(signup, SignupLog.Action.CANCEL, actor)
    if was_confirmed:
        _promote_locked(seats=seats, actor=actor)
    _seats_save(seats)
    return signup


def _promote_locked(*, seats: EventSeats, actor: User | None) -> list[int]:
    """Move waiting sign-ups into free seats, oldest first. Call while holding the seat lock;
    updates ``seats`` in memory (the caller saves it). Returns the promoted sign-ups' ids.

    A party too large for the seats left keeps its place at the head of the list; smaller
    parties behind it may take those seats (nobody gets a seat that does not exist).
    """
    event = seats.event
    free = event.capacity - seats.confirmed
    if seats.waiting <= 0 or free <= 0 or event.cancelled or event.ends_at <= timezone.now():
        return []
    promoted: list[tuple[int, int]] = []
    waiting = Signup.objects.filter(event_id=event.pk, status=Signup.Status.WAITLISTED).order_by(
        "pk"
    )
    for signup_id, party_size in waiting.values_list("pk", "party_size"):
        if free <= 0:
            break
        if party_size > free:
            continue
        promoted.append((signup_id, party_size))
        free -= party_size
    if not promoted:
        return []
    ids = [signup_id for signup_id, _size in promoted]
    Signup.objects.filter(pk__in=ids).update(
        status=Signup.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    SignupLog.objects.bulk_create(
        SignupLog(
            signup_id=signup_id,
            action=SignupLog.Action.PROMOTE,
            status=Signup.Status.CONFIRMED,
            actor=actor,
        )
        for signup_id in ids
    )
    seats.confirmed += sum(size for _id, size in promoted)
    seats.waiting -= len(ids)
    notices.notices_create(topic=NOTICE_TOPIC, kind=NoticeKind.PROMOTED, object_ids=ids)
    logger.info("event %s: %d promoted from the waiting list", event.pk, len(ids))
    return ids


@transaction.atomic
def event_waitlist_promote(*, event_id: int, actor: User | None = None) -> list[int]:
    """Promote the waiting list into the seats free now (after capacity grew). Takes the seat
    lock. Returns the promoted sign-ups' ids."""
    seats = seats_lock(event_id)
    promoted = _promote_locked(seats=seats, actor=actor)
    if promoted:
        _seats_save(seats)
    return promoted


# -- publication ----------------------------------------------------------------------------------

# Changes of these fields are told to everyone with a place.
TOLD_FIELDS = ("starts_at", "ends_at", "place")
# Log actions that put a revision live (``publish_scheduled`` logs its own).
PUBLISH_ACTIONS = ("wagtail.publish", "wagtail.publish.scheduled")


def event_previous_published(*, event_id: int, revision_id: int) -> EventPage | None:
    """The event as it was last published before ``revision_id``, from Wagtail's history.

    None on the first publication (or when that revision has been purged). The log entry of the
    publication under way is written after ``page_published``, so the newest entry is the
    previous one.
    """
    previous_id = (
        PageLogEntry.objects.filter(
            page_id=event_id, action__in=PUBLISH_ACTIONS, revision__isnull=False
        )
        .exclude(revision_id=revision_id)
        .order_by("-timestamp", "-pk")
        .values_list("revision_id", flat=True)
        .first()
    )
    revision = Revision.page_revisions.filter(pk=previous_id).first() if previous_id else None
    return revision.as_object() if revision is not None else None


def _told(value):
    """A value as people are told it: times to the minute. (Revisions stored as JSON keep
    milliseconds while the page in memory keeps microseconds; neither is news.)"""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(second=0, microsecond=0)
    return value


def _active_signup_ids(event_id: int, *, exclude: tuple[int, ...] = ()) -> list[int]:
    return list(
        Signup.objects.active()
        .filter(event_id=event_id)
        .exclude(pk__in=exclude)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def event_published(*, event_id: int, revision_id: int) -> None:
    """What a publication of the event means for the people with a place, compared with the
    previous publication, all in one transaction holding the seat lock:

    - cancelled → a "cancelled" notice to every active sign-up, keyed by the revision
      (publishing the cancelled event again sends nothing; cancelling again after calling it
      on does);
    - no longer cancelled → the waiting list takes the seats freed meanwhile ("promoted"), and
      everyone else with a place is told the event goes ahead;
    - start, end or place changed → a "changed" notice keyed by the revision (a re-publication
      without changes sends nothing);
    - more seats → the waiting list moves up ("promoted").
    """
    seats = seats_lock(event_id)
    event = seats.event
    if not event.live:
        return
    previous = event_previous_published(event_id=event_id, revision_id=revision_id)
    if previous is None:
        return
    key = str(revision_id)
    if event.cancelled:
        if not previous.cancelled:
            ids = _active_signup_ids(event_id)
            notices.notices_create(
                topic=NOTICE_TOPIC, kind=NoticeKind.CANCELLED, object_ids=ids, key=key
            )
            logger.info("event %s cancelled: %d sign-ups told", event_id, len(ids))
        return
    if previous.cancelled:
        # Seats given up while the event was off go to the waiting list now. Their "promoted"
        # notice already says they can come; the others are told the event goes ahead (with
        # its time and place, in case those changed too).
        promoted = _promote_locked(seats=seats, actor=None)
        _seats_save(seats)
        ids = _active_signup_ids(event_id, exclude=tuple(promoted))
        notices.notices_create(
            topic=NOTICE_TOPIC,
            kind=NoticeKind.CHANGED,
            object_ids=ids,
            key=f"{RESUMED_KEY_PREFIX}{revision_id}",
        )
        logger.info("event %s called on: %d promoted, %d told", event_id, len(promoted), len(ids))
        return
    if event.capacity > previous.capacity and _promote_locked(seats=seats, actor=None):
        _seats_save(seats)
    if any(_told(getattr(event, name)) != _told(getattr(previous, name)) for name in TOLD_FIELDS):
        ids = _active_signup_ids(event_id)
        notices.notices_create(topic=NOTICE_TOPIC, kind=NoticeKind.CHANGED, object_ids=ids, key=key)
        logger.info("event %s changed (revision %s): %d told", event_id, revision_id, len(ids))


# -- reminders -----------------------------------------------------------------------------------


@transaction.atomic
def reminders_create(*, now: datetime | None = None) -> int:
    """Owe a reminder to each confirmed sign-up of an event starting within 24 hours that has
    none yet (``selectors.reminder_due_signup_ids``). Running it twice owes nothing twice.
    Returns how many were new."""
    ids = reminder_due_signup_ids(now=now)
    return notices.notices_create(topic=NOTICE_TOPIC, kind=NoticeKind.REMINDER, object_ids=ids)


# -- at the door ----------------------------------------------------------------------------------


@transaction.atomic
def signup_check_in(*, signup_id: int, actor: User) -> tuple[Signup, bool]:
    """Mark a confirmed sign-up as present. Checking in twice is harmless (keeps the first
    time). Returns the sign-up and whether it had been checked in already. The caller found
    the sign-up through the actor's check-in scope."""
    # No join: FOR UPDATE would then lock the event's rows too and hold up sign-ups.
    signup = lock_row(Signup.objects.all(), pk=signup_id)
    if signup.status == Signup.Status.WAITLISTED:
        raise SignupRefused(_("%(name)s 还在候补名单上，没有确认名额。") % {"name": signup.name})
    if signup.status == Signup.Status.CANCELLED:
        raise SignupRefused(_("%(name)s 的报名已经取消。") % {"name": signup.name})
    already = signup.checked_in_at is not None
    if not already:
        signup.checked_in_at = timezone.now()
        signup.checked_in_by = actor
        signup.save(update_fields=["checked_in_at", "checked_in_by"])
        _log(signup, SignupLog.Action.CHECK_IN, actor)
    return signup, already


@transaction.atomic
def signup_check_in_undo(*, signup_id: int, actor: User) -> Signup:
    """Undo a check-in made by mistake. Raises ``SignupRefused`` when there is none to undo
    (not checked in, or a walk-in, whose presence is the record itself)."""
    signup = lock_row(Signup.objects.all(), pk=signup_id)
    if signup.checked_in_at is None:
        raise SignupRefused(_("%(name)s 还没有签到，无需撤销。") % {"name": signup.name})
    if signup.status != Signup.Status.CONFIRMED:
        raise SignupRefused(_("%(name)s 是现场登记的，不能撤销签到。") % {"name": signup.name})
    signup.checked_in_at = None
    signup.checked_in_by = None
    signup.checked_out_at = None
    signup.save(update_fields=["checked_in_at", "checked_in_by", "checked_out_at"])
    _log(signup, SignupLog.Action.UNDO_CHECK_IN, actor)
    return signup


#: A second scan this soon after checking in is a double scan, not leaving.
CHECK_OUT_AFTER = timedelta(minutes=10)


@transaction.atomic
def signup_check_out(*, signup_id: int, actor: User) -> Signup:
    """Mark when someone checked in leaves (volunteer shifts count the time served from
    check-in to check-out). Checking out again moves the time to now. Raises
    ``SignupRefused`` for someone not checked in."""
    signup = lock_row(Signup.objects.all(), pk=signup_id)
    if signup.checked_in_at is None:
        raise SignupRefused(_("%(name)s 还没有签到，不能签退。") % {"name": signup.name})
    signup.checked_out_at = timezone.now()
    signup.save(update_fields=["checked_out_at"])
    _log(signup, SignupLog.Action.CHECK_OUT, actor)
    return signup


WALK_IN_MAX = 20


@transaction.atomic
def walk_in_record(
    *,
    event: EventPage,
    name: str,
    phone: str = "",
    party_size=1,
    member_id: int | None = None,
    actor: User,
) -> Signup:
    """Record someone who came without a sign-up. Walk-ins count for attendance, not seats.
    A register person (``member_id``) must be in the actor's scope."""
    member = member_access_for(actor, member_id) if member_id is not None else None
    name = text_clean(name or (member.name if member else ""), keep_newlines=False)
    if not name:
        raise SignupRefused(_("请填写现场登记人的姓名。"), field="name")
    try:
        party_size = int(party_size)
    except (TypeError, ValueError):
        raise SignupRefused(_("请填写人数（数字）。"), field="party_size") from None
    if party_size < 1 or party_size > WALK_IN_MAX:
        raise SignupRefused(
            _("人数应在 1 到 %(max)d 之间。") % {"max": WALK_IN_MAX}, field="party_size"
        )
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
