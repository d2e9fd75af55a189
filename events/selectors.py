"""Reads on events. Each function runs a fixed number of queries, whatever the number of rows.

Who sees which sign-ups is decided here, once: ``signup_scope_for`` (the staff screens: register
people through the register's own scope selector), ``signup_access_for`` (what a person may act
on: their own, plus the staff scope) and ``checkin_scope_for`` (the door: one event, for whoever
may check people in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone
from wagtail.images import get_image_model

from core.models import Notice
from households.access import number_search_record
from households.selectors import (
    member_scope_for,
    number_term,
    register_scope_for,
    user_searches_by_part,
)

from .choices import NOTICE_TOPIC, NoticeKind
from .models import Signup
from .pages import EventIndexPage, EventPage
from .qr import parse_checkin_text

#: The cover image sizes the list and the event page show (prefetched with the events).
CARD_RENDITION = "fill-640x320"
PAGE_RENDITION = "fill-960x480"

if TYPE_CHECKING:
    from accounts.models import User
    from households.models import Member


# -- who may do what ----------------------------------------------------------------------------


def user_manages_signups(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("events.manage_signups")


def user_signs_up_members(user: User) -> bool:
    return (
        user.is_authenticated and user.is_active and user.has_perm("events.signup_register_members")
    )


def user_checks_in(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("events.check_in")


def _staff_scope_q(user: User) -> Q | None:
    """The sign-ups ``user`` sees on the staff screens, as a condition (None: every one).

    Sign-ups of register people follow the register's scope (``member_scope_for``). Sign-ups of
    people with an account only (no register record) are seen by those who manage every
    event's sign-ups. Whoever neither manages sign-ups nor signs up register people sees none.
    """
    manages = user_manages_signups(user)
    if not manages and not user_signs_up_members(user):
        return Q(pk__in=[])
    if register_scope_for(user).everything:
        return None if manages else Q(member__isnull=False)
    condition = Q(member__in=member_scope_for(user))
    if manages:
        condition |= Q(member__isnull=True)
    return condition


def signup_scope_for(user: User) -> QuerySet[Signup]:
    """The sign-ups ``user`` may see on the staff screens (see ``_staff_scope_q``)."""
    condition = _staff_scope_q(user)
    return Signup.objects.all() if condition is None else Signup.objects.filter(condition)


def signup_access_for(user: User) -> QuerySet[Signup]:
    """The sign-ups ``user`` may act on (cancel): their own (through their account or their
    register record) and those of the staff screens."""
    if not user.is_authenticated or not user.is_active:
        return Signup.objects.none()
    staff = _staff_scope_q(user)
    if staff is None:
        return Signup.objects.all()
    return Signup.objects.filter(Q(user=user) | Q(member__user=user) | staff)


def checkin_scope_for(user: User, event: EventPage) -> QuerySet[Signup]:
    """The sign-ups of ``event`` a user at its door may find and check in: all of them for
    whoever may check people in (``events.check_in``), none for anyone else."""
    if not user_checks_in(user):
        return Signup.objects.none()
    return Signup.objects.filter(event_id=event.pk)


# -- events ---------------------------------------------------------------------------------------


def event_seats_confirmed(*, event_id: int) -> int:
    """Seats taken by confirmed sign-ups (party sizes added up), counted from the sign-ups.
    (Sign-ups read the count kept on ``EventSeats`` instead; this is its check.)"""
    return Signup.objects.filter(event_id=event_id, status=Signup.Status.CONFIRMED).aggregate(
        n=Coalesce(Sum("party_size"), 0)
    )["n"]


def events_when(events: QuerySet[EventPage], when: str) -> QuerySet[EventPage]:
    """``when="past"``: ended events, latest first; otherwise those not yet over, soonest first."""
    now = timezone.now()
    if when == "past":
        return events.filter(ends_at__lte=now).order_by("-starts_at", "-pk")
    return events.filter(ends_at__gt=now).order_by("starts_at", "pk")


def event_list(
    *, parent=None, when: str = "upcoming", kind: str | None = None, community_id: int | None = None
) -> QuerySet[EventPage]:
    """Live events, upcoming (soonest first) or past (latest first)."""
    events = (
        EventPage.objects.live()
        .select_related("community")
        .prefetch_related(
            Prefetch("cover_image", get_image_model().objects.prefetch_renditions(CARD_RENDITION))
        )
    )
    if parent is not None:
        events = events.child_of(parent)
    events = events_when(events, when)
    if kind:
        events = events.filter(kind=kind)
    if community_id:
        events = events.filter(community_id=community_id)
    return events


def events_index() -> EventIndexPage | None:
    """The live events list page (there is one)."""
    return EventIndexPage.objects.live().first()


@dataclass
class SeatFigures:
    confirmed: int = 0  # seats (party sizes added up)
    waitlisted: int = 0  # seats
    waitlisted_signups: int = 0
    signups: int = 0  # confirmed sign-ups
    attended: int = 0  # people checked in (party sizes), walk-ins included
    walk_ins: int = 0

    def seats_left(self, capacity: int) -> int:
        return max(capacity - self.confirmed, 0)


def event_figures(event_ids: list[int]) -> dict[int, SeatFigures]:
    """Seat figures for many events in one query."""
    confirmed = Q(status=Signup.Status.CONFIRMED)
    waitlisted = Q(status=Signup.Status.WAITLISTED)
    attended = Q(checked_in_at__isnull=False) & Q(
        status__in=[Signup.Status.CONFIRMED, Signup.Status.WALK_IN]
    )
    rows = (
        Signup.objects.filter(event_id__in=event_ids)
        .values("event_id")
        .annotate(
            confirmed=Coalesce(Sum("party_size", filter=confirmed), 0),
            signups=Count("id", filter=confirmed),
            waitlisted=Coalesce(Sum("party_size", filter=waitlisted), 0),
            waitlisted_signups=Count("id", filter=waitlisted),
            attended=Coalesce(Sum("party_size", filter=attended), 0),
            walk_ins=Coalesce(Sum("party_size", filter=Q(status=Signup.Status.WALK_IN)), 0),
        )
        .order_by()
    )
    figures = {event_id: SeatFigures() for event_id in event_ids}
    for row in rows:
        event_id = row.pop("event_id")
        figures[event_id] = SeatFigures(**row)
    return figures


@dataclass
class EventCard:
    event: EventPage
    figures: SeatFigures
    my_signup: Signup | None

    @property
    def seats_left(self) -> int:
        return self.figures.seats_left(self.event.capacity)


def event_cards(events: list[EventPage], *, user: User | None) -> list[EventCard]:
    """Events with their seat figures and the user's own sign-up: two queries for any number."""
    ids = [event.pk for event in events]
    figures = event_figures(ids)
    mine: dict[int, Signup] = {}
    if user is not None and user.is_authenticated and ids:
        for signup in Signup.objects.active().filter(event_id__in=ids, user=user):
            mine[signup.event_id] = signup
    return [EventCard(event, figures[event.pk], mine.get(event.pk)) for event in events]


def signup_active_for(*, event: EventPage, user: User | None = None, member: Member | None = None):
    """The person's confirmed or waitlisted sign-up for ``event``, or None."""
    if user is not None and user.is_authenticated:
        condition = Q(user=user)
        member = member or getattr(user, "member", None)
        if member is not None:
            condition |= Q(member=member)
    elif member is not None:
        condition = Q(member=member)
    else:
        return None
    return Signup.objects.active().filter(condition, event=event).first()


def waitlist_position(signup: Signup) -> int | None:
    """1 for the head of the waiting list; None when not waitlisted."""
    if signup.status != Signup.Status.WAITLISTED:
        return None
    return (
        Signup.objects.filter(
            event_id=signup.event_id, status=Signup.Status.WAITLISTED, pk__lt=signup.pk
        ).count()
        + 1
    )


def waitlist_positions(*event_ids: int) -> dict[int, int]:
    """Positions of every waitlisted sign-up of the events, in one query."""
    rows = (
        Signup.objects.filter(event_id__in=event_ids, status=Signup.Status.WAITLISTED)
        .order_by("event_id", "pk")
        .values_list("event_id", "pk")
    )
    positions: dict[int, int] = {}
    current, position = None, 0
    for event_id, pk in rows:
        position = position + 1 if event_id == current else 1
        current = event_id
        positions[pk] = position
    return positions


def signups_of_user(*, user: User) -> QuerySet[Signup]:
    """The user's sign-ups, newest event first: theirs and those made for their register record."""
    condition = Q(user=user)
    member = getattr(user, "member", None)
    if member is not None:
        condition |= Q(member=member)
    return (
        Signup.objects.filter(condition)
        .exclude(status=Signup.Status.WALK_IN)
        .select_related("event")
        .order_by("-event__starts_at", "-pk")
    )


def events_per_community_year() -> list[dict]:
    """Events per organising community and year, with seats and attendance (two aggregates).

    ``confirmed`` counts confirmed people of every event. The attendance figures count events
    already over and not cancelled: ``held_confirmed`` people were confirmed for them,
    ``attended`` of those were checked in, and ``walk_ins`` came without a sign-up.
    """
    now = timezone.now()
    events = (
        EventPage.objects.live()
        .annotate(year=ExtractYear("starts_at"))
        .values("year", "community__name")
        .annotate(
            events=Count("id", distinct=True),
            held=Count("id", filter=Q(ends_at__lte=now, cancelled=False)),
        )
        .order_by("-year", "community__name")
    )
    confirmed = Q(status=Signup.Status.CONFIRMED)
    held = Q(event__ends_at__lte=now, event__cancelled=False)
    checked_in = Q(checked_in_at__isnull=False)
    attendance = (
        Signup.objects.filter(event__live=True)
        .annotate(year=ExtractYear("event__starts_at"))
        .values("year", "event__community__name")
        .annotate(
            confirmed=Coalesce(Sum("party_size", filter=confirmed), 0),
            held_confirmed=Coalesce(Sum("party_size", filter=confirmed & held), 0),
            attended=Coalesce(Sum("party_size", filter=confirmed & held & checked_in), 0),
            walk_ins=Coalesce(
                Sum("party_size", filter=Q(status=Signup.Status.WALK_IN) & held & checked_in), 0
            ),
        )
        .order_by()
    )
    by_key = {(row["year"], row["event__community__name"]): row for row in attendance}
    result = []
    for row in events:
        extra = by_key.get((row["year"], row["community__name"]), {})
        held_confirmed = extra.get("held_confirmed", 0)
        attended = extra.get("attended", 0)
        result.append(
            {
                "year": row["year"],
                "community": row["community__name"],
                "events": row["events"],
                "held": row["held"],
                "confirmed": extra.get("confirmed", 0),
                "held_confirmed": held_confirmed,
                "attended": attended,
                "walk_ins": extra.get("walk_ins", 0),
                "percent": round(attended * 100 / held_confirmed) if held_confirmed else None,
            }
        )
    return result


def checkin_search(*, event: EventPage, q: str, user: User) -> QuerySet[Signup]:
    """Sign-ups of ``event`` a door volunteer may be looking for (``checkin_scope_for``).

    Without ``q``: the confirmed sign-ups, those not yet in first. With ``q``: matches on the name,
    the phone number or the code, in any state but walk-in, so that someone on the waiting list
    is found and told so rather than not found. The phone follows the register's rule
    (``households.selectors``): people who may unmask find by its end (people give the last 4
    digits), logged with the term masked; anyone else only by the whole number.
    """
    signups = checkin_scope_for(user, event).exclude(status=Signup.Status.WALK_IN)
    q = q.strip()
    if not q:
        return signups.filter(status=Signup.Status.CONFIRMED).order_by(*_CHECKIN_ORDER)
    condition = Q(name__icontains=q)
    code = parse_checkin_text(q)
    if code:
        condition |= Q(code=code)
    term = number_term(q)
    if term is not None and term.part.isdigit():
        by_part = user_searches_by_part(user)
        if by_part and len(term.part) >= 3:
            condition |= Q(phone__endswith=term.part)
        elif term.phone:
            condition |= Q(phone=term.phone)
        number_search_record(
            user=user, term=q, object_type="event_signups", object_id=event.pk, by_part=by_part
        )
    return signups.filter(condition).order_by(*_CHECKIN_ORDER)


_CHECKIN_ORDER = (F("checked_in_at").asc(nulls_first=True), "name", "pk")


def checkin_signup_by_code(*, event: EventPage, code: str, user: User) -> Signup | None:
    """The sign-up of ``event`` with this check-in code, or None: a code of another event is
    not found here (the door of one event learns nothing about another)."""
    return checkin_scope_for(user, event).filter(code=code).first()


def walk_ins_for(*, event: EventPage, user: User, limit: int = 10) -> list[Signup]:
    """The latest walk-ins recorded at ``event``'s door."""
    return list(
        checkin_scope_for(user, event).filter(status=Signup.Status.WALK_IN).order_by("-pk")[:limit]
    )


# -- reminders ------------------------------------------------------------------------------------

#: Someone confirmed this close to the start has just been told everything: no reminder.
REMINDER_NOT_WITHIN = timedelta(hours=12)


def reminder_due_signup_ids(
    *, now: datetime | None = None, within: timedelta | None = None
) -> list[int]:
    """Confirmed sign-ups of live, not cancelled events starting within ``within`` (24 h) that
    are owed no reminder yet and were confirmed at least 12 hours before the start. One
    query."""
    now = now or timezone.now()
    within = within or timedelta(hours=24)
    reminded = Notice.objects.filter(
        topic=NOTICE_TOPIC, kind=NoticeKind.REMINDER, object_id=OuterRef("pk")
    )
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
