"""Reads for the staff screens of events (the 活动报名 admin pages).

Which sign-ups a user sees is ``events.selectors.signup_scope_for``: sign-ups of register people
through the register's own scope, those of people with an account only for staff who manage
every event's sign-ups. Every function runs a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from households.selectors import member_scope_for, member_search

from .models import Signup
from .pages import EventPage
from .selectors import (
    SeatFigures,
    event_figures,
    events_when,
    signup_scope_for,
    user_manages_signups,
    user_signs_up_members,
)

if TYPE_CHECKING:
    from accounts.models import User

#: Tabs of the per-event list, in the order shown.
SIGNUP_TABS = ("confirmed", "waitlisted", "cancelled", "walk_in", "no_show")

#: ``community`` filter value for events organised by the federation (no community).
NO_COMMUNITY = "none"


__all__ = ["signup_scope_for", "user_manages_signups", "user_signs_up_members"]


def user_sees_event_screens(user: User) -> bool:
    """The 活动报名 menu and overview: staff, and whoever signs up register people."""
    return user.is_authenticated and (user_manages_signups(user) or user_signs_up_members(user))


def event_list_for_staff(
    *,
    when: str = "upcoming",
    year: int | None = None,
    community: str = "",
    kind: str = "",
    include_drafts: bool = False,
) -> QuerySet[EventPage]:
    """Events for the overview: upcoming soonest first, past latest first.

    ``community`` is a community id, ``NO_COMMUNITY`` (organised by the federation) or empty.
    Drafts are listed for staff only (a copy for next year starts as a draft).
    """
    events = EventPage.objects.select_related("community")
    if not include_drafts:
        events = events.live()
    events = events_when(events, when)
    if year:
        events = events.filter(starts_at__year=year)
    if community == NO_COMMUNITY:
        events = events.filter(community__isnull=True)
    elif community:
        events = events.filter(community_id=community)
    if kind:
        events = events.filter(kind=kind)
    return events


def event_years() -> list[int]:
    """Years that have events, latest first (for the year filter)."""
    return [d.year for d in EventPage.objects.dates("starts_at", "year", order="DESC")]


@dataclass
class EventRow:
    """One line of the overview."""

    event: EventPage
    figures: SeatFigures

    @property
    def attended_confirmed(self) -> int:
        """People of confirmed sign-ups who were checked in (walk-ins left out)."""
        return max(self.figures.attended - self.figures.walk_ins, 0)

    @property
    def no_shows(self) -> int | None:
        """Confirmed people who did not come; None until the event is over (or if cancelled)."""
        if not self.event.is_past or self.event.cancelled:
            return None
        return max(self.figures.confirmed - self.attended_confirmed, 0)

    @property
    def attendance_rate(self) -> float | None:
        """Confirmed people who came ÷ confirmed people, once the event is over. Walk-ins are
        counted apart, so the rate never passes 100%."""
        if not self.event.is_past or self.event.cancelled or not self.figures.confirmed:
            return None
        return self.attended_confirmed / self.figures.confirmed

    @property
    def attendance_percent(self) -> int | None:
        rate = self.attendance_rate
        return None if rate is None else round(rate * 100)


def event_rows(events: list[EventPage]) -> list[EventRow]:
    figures = event_figures([event.pk for event in events])
    return [EventRow(event, figures[event.pk]) for event in events]


def _tab_q(tab: str, *, now) -> Q:
    if tab == "no_show":
        return Q(
            status=Signup.Status.CONFIRMED,
            checked_in_at__isnull=True,
            event__ends_at__lte=now,
            event__cancelled=False,
        )
    return Q(status=tab)


def event_signups_for(*, event: EventPage, user: User, tab: str = "confirmed") -> QuerySet[Signup]:
    """The event's sign-ups in ``tab`` that ``user`` may see, oldest first."""
    if tab not in SIGNUP_TABS:
        tab = "confirmed"
    return (
        signup_scope_for(user)
        .filter(_tab_q(tab, now=timezone.now()), event=event)
        .select_related("created_by", "member")
        .order_by("pk")
    )


def event_signup_tab_counts(*, event: EventPage, user: User) -> dict[str, int]:
    """How many sign-ups each tab holds (one query)."""
    now = timezone.now()
    counts = (
        signup_scope_for(user)
        .filter(event=event)
        .aggregate(**{tab: Count("pk", filter=_tab_q(tab, now=now)) for tab in SIGNUP_TABS})
    )
    return {tab: counts[tab] or 0 for tab in SIGNUP_TABS}


def event_signups_export_for(*, event: EventPage, user: User) -> QuerySet[Signup]:
    """Every sign-up of the event that ``user`` may see, for the spreadsheet."""
    return signup_scope_for(user).filter(event=event).select_related("created_by").order_by("pk")


def member_candidates(*, user: User, query: str, event: EventPage, limit: int = 20) -> list:
    """Living register people in ``user``'s scope matching ``query`` (name, pinyin, phone),
    each with ``already_signed_up`` set when they hold an active sign-up for ``event``."""
    if not query.strip():
        return []
    members = list(
        member_search(member_scope_for(user).filter(is_deceased=False), query, user=user)
        .select_related("household__community", "household__grid_group")
        .order_by("name", "pk")[:limit]
    )
    signed_up = set(
        Signup.objects.active()
        .filter(event=event, member_id__in=[m.pk for m in members])
        .values_list("member_id", flat=True)
    )
    for member in members:
        member.already_signed_up = member.pk in signed_up
    return members
