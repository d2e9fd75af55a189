"""A year of demo events shaped like DOMAIN.md: every year a spring tea party, a hometown study
tour, a Mid-Autumn gala, two health lectures, two sessions for parents of students abroad, and a
few events run by the communities. Used by ``manage.py seed_demo`` after the households demo.

Dates follow the calendar: seasonal events fall on their date (festivals on their lunar date)
between about ten months ago and three months ahead; the rest are placed relative to today, so
there is always a full event with a waiting list, an event whose sign-up has not opened yet, and
the demo relative has one event behind them and one ahead. Past events get sign-ups with ~80%
attendance and a few walk-ins; upcoming ones get sign-ups through ``signup_create``.

Idempotent: events are keyed by slug under the events index; an event that is already there is
left as it is (with its sign-ups), so a second run creates nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from core import notices
from core.lunar import lunar_date
from households.models import Community, Household, Member
from households.selectors import member_scope_for

from . import services
from .choices import NOTICE_TOPIC, Audience, QuestionKind
from .demo_content import (
    AHEAD_DAYS,
    EVENTS,
    FESTIVALS,
    PAST_DAYS,
    DemoEvent,
    Question,
)
from .models import EventSeats, Signup, SignupLog
from .pages import EventIndexPage, EventPage, EventQuestion

ORDER = 40

# -- dates ---------------------------------------------------------------------------------------


def _in_window(today: date, day_of_year) -> date:
    """The occurrence between PAST_DAYS ago and AHEAD_DAYS ahead (the later one if there are
    two: the window is a little longer than a year)."""
    for year in (today.year + 1, today.year, today.year - 1):
        day = day_of_year(year)
        if today - timedelta(days=PAST_DAYS) <= day <= today + timedelta(days=AHEAD_DAYS):
            return day
    raise AssertionError("the window is longer than a year")


def _nearest_saturday(day: date) -> date:
    shift = (5 - day.weekday()) % 7
    return day + timedelta(days=shift - 7 if shift > 3 else shift)


def event_day(spec: DemoEvent, today: date) -> date:
    if spec.days is not None:
        return today + timedelta(days=spec.days)
    if spec.festival is not None:
        name, shift = spec.festival
        month, day = FESTIVALS[name]
        return _in_window(today, lambda year: lunar_date(year, month, day) + timedelta(days=shift))
    return _nearest_saturday(_in_window(today, lambda year: date(year, *spec.on)))


def _at(day: date, hour_minute: tuple[int, int]) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(*hour_minute)))


# -- the people ------------------------------------------------------------------------------------


@dataclass
class Cast:
    """Who signs up: register members living here (not abroad); ``community_id`` is annotated
    on each. The demo relative is kept apart, for the two events of their own."""

    rng: random.Random
    staff: User | None
    relative_user: User | None
    relative_member: Member | None
    members: list[Member] = field(default_factory=list)

    def home_community(self) -> Community | None:
        if self.relative_member is not None:
            return self.relative_member.household.community
        return Community.objects.order_by("sort_order", "name").first()

    def pool(self, community_ids: set[int] | None = None, prefer: int | None = None) -> list:
        """Shuffled candidates; with ``prefer``, people of that community come first."""
        people = [
            m for m in self.members if community_ids is None or m.community_id in community_ids
        ]
        self.rng.shuffle(people)
        if prefer is not None:
            people.sort(key=lambda m: m.community_id != prefer)
        return people


def _cast(rng: random.Random) -> Cast:
    staff = User.objects.filter(username="demo_staff").first()
    # The demo signs people up as the office does: through the staff member's register scope.
    register = member_scope_for(staff)
    relative_member = (
        register.select_related("household__community", "user")
        .filter(user__username="demo_relative")
        .first()
    )
    members = list(
        register.filter(
            household__key__startswith="DEMO-",
            household__status=Household.Status.ACTIVE,
            lives_abroad=False,
            is_deceased=False,
        )
        .exclude(pk=getattr(relative_member, "pk", None))
        .select_related("user")
        .annotate(community_id=F("household__community_id"))
        .order_by("pk")
    )
    return Cast(
        rng=rng,
        staff=staff,
        relative_user=relative_member.user if relative_member else None,
        relative_member=relative_member,
        members=members,
    )


def _answers(questions: list[EventQuestion], specs: dict[str, Question], rng) -> dict[str, str]:
    answers = {}
    for question in questions:
        if question.kind == QuestionKind.YES_NO:
            value = rng.choice(["是", "否", "否", "否"])
        elif question.kind == QuestionKind.CHOICE:
            value = rng.choice(question.choice_list())
        else:
            value = rng.choice(specs[question.label].samples or ("",))
        if value:
            answers[str(question.pk)] = value
    return answers


def _party_size(event: EventPage, rng) -> int:
    if event.party_size_max == 1:
        return 1
    sizes = list(range(1, event.party_size_max + 1))
    return rng.choices(sizes, weights=[6, 3, 1, 1][: len(sizes)])[0]


# -- the events ----------------------------------------------------------------------------------


def events_index(*, user: User | None) -> EventIndexPage:
    """The events list under the site's home page, made and published if missing."""
    index = EventIndexPage.objects.first()
    if index is not None:
        return index
    home = _home_page()
    index = EventIndexPage(
        title="活动",
        slug="events",
        show_in_menus=True,
        intro="<p>茶话会、联欢晚会、健康讲座、考察交流……侨联和各社区的活动都在这里，"
        "登录后即可在线报名，也可以请小组长代为报名。</p>",
    )
    home.add_child(instance=index)
    index.save_revision(user=user).publish(user=user)
    return index


def _event_page(spec: DemoEvent, *, today: date, communities: dict[str, Community]) -> EventPage:
    day = event_day(spec, today)
    starts_at, ends_at = _at(day, spec.start), _at(day, spec.end)
    organiser = communities.get(spec.community) if spec.community else None
    event = EventPage(
        title=spec.title,
        slug=spec.slug,
        kind=spec.kind,
        starts_at=starts_at,
        ends_at=ends_at,
        # the relative's community is only known at run time, so its places get its name here
        place=(organiser.name if organiser and spec.community == "home" else "") + spec.place,
        community=organiser,
        capacity=spec.capacity,
        party_size_max=spec.party_size_max,
        signup_opens_at=starts_at - timedelta(days=spec.signup_days),
        signup_closes_at=starts_at - timedelta(days=spec.closes_days) if spec.closes_days else None,
        cancel_deadline=starts_at - timedelta(days=spec.closes_days) if spec.closes_days else None,
        audience=spec.audience,
        summary=spec.summary,
        description=spec.description,
    )
    if spec.audience == Audience.COMMUNITIES:
        event.audience_communities = [
            communities[name] for name in spec.audience_communities if name in communities
        ]
    for number, question in enumerate(spec.questions):
        event.questions.add(
            EventQuestion(
                sort_order=number,
                label=question.label,
                kind=question.kind,
                choices=question.choices,
                required=question.required,
            )
        )
    return event


@dataclass
class Tally:
    created: int = 0
    signups: int = 0
    waitlisted: int = 0
    checked_in: int = 0
    walk_ins: int = 0


def _candidates(event: EventPage, cast: Cast) -> list[Member]:
    if event.audience == Audience.COMMUNITIES:
        allowed = {c.pk for c in event.audience_communities.all()}
        return cast.pool(allowed, prefer=event.community_id)
    return cast.pool(prefer=event.community_id)


def _seed_past(event: EventPage, spec: DemoEvent, cast: Cast, tally: Tally) -> None:
    """Sign-ups of an event that is over, written directly (``signup_create`` refuses ended
    events): confirmed, ~80% checked in, a few cancelled, a few walk-ins, each with its log."""
    rng = cast.rng
    questions = list(event.questions.all())
    specs = {q.label: q for q in spec.questions}
    people = _candidates(event, cast)
    if spec.role == "relative_attended" and cast.relative_member is not None:
        people.insert(0, cast.relative_member)
    target = round(event.capacity * rng.uniform(*spec.fill))
    opens = event.signup_opens_at or event.starts_at - timedelta(days=21)
    closes = event.signup_closes - timedelta(hours=1)
    signups, seats = [], 0
    while people and seats < target:
        member = people.pop(0)
        size = min(_party_size(event, rng), event.capacity - seats)
        created_at = opens + (closes - opens) * rng.random()
        user = member.user if member.user_id else None
        cancelled = member is not cast.relative_member and rng.random() < 0.04
        attended = member is cast.relative_member or (not cancelled and rng.random() < 0.8)
        signups.append(
            Signup(
                event=event,
                user=user,
                member=member,
                name=member.name,
                phone=member.mobile,
                party_size=size,
                answers=_answers(questions, specs, rng),
                status=Signup.Status.CANCELLED if cancelled else Signup.Status.CONFIRMED,
                created_by=user or cast.staff,
                created_at=created_at,
                confirmed_at=created_at,
                cancelled_at=created_at + (closes - created_at) * rng.random()
                if cancelled
                else None,
                checked_in_at=event.starts_at - timedelta(minutes=rng.randint(0, 30))
                if attended
                else None,
                checked_in_by=cast.staff if attended else None,
            )
        )
        seats += 0 if cancelled else size
    for member in people[: rng.randint(2, 5)]:  # came without signing up
        at = event.starts_at + timedelta(minutes=rng.randint(0, 20))
        signups.append(
            Signup(
                event=event,
                member=member,
                user=member.user if member.user_id else None,
                name=member.name,
                phone=member.mobile,
                party_size=min(_party_size(event, rng), 2),
                status=Signup.Status.WALK_IN,
                created_by=cast.staff,
                created_at=at,
                checked_in_at=at,
                checked_in_by=cast.staff,
            )
        )
    # created_at is auto_now_add: the insert sets it to now, the demo wants it in the past
    created = [signup.created_at for signup in signups]
    signups = Signup.objects.bulk_create(signups)
    for signup, at in zip(signups, created, strict=True):
        signup.created_at = at
    Signup.objects.bulk_update(signups, ["created_at"])
    logs = []
    for signup in signups:
        if signup.status == Signup.Status.WALK_IN:
            logs.append((signup, SignupLog.Action.WALK_IN, signup.status, signup.created_at))
            continue
        logs.append((signup, SignupLog.Action.CREATE, Signup.Status.CONFIRMED, signup.created_at))
        if signup.status == Signup.Status.CANCELLED:
            logs.append((signup, SignupLog.Action.CANCEL, signup.status, signup.cancelled_at))
        if signup.checked_in_at:
            logs.append((signup, SignupLog.Action.CHECK_IN, signup.status, signup.checked_in_at))
    rows = SignupLog.objects.bulk_create(
        SignupLog(signup=s, action=action, status=status, actor=s.created_by)
        for s, action, status, _ in logs
    )
    for row, (_, action, _, at) in zip(rows, logs, strict=True):
        row.at = at
        if action in (SignupLog.Action.CHECK_IN, SignupLog.Action.WALK_IN):
            row.actor = cast.staff
    SignupLog.objects.bulk_update(rows, ["at", "actor"])
    tally.signups += len(signups)
    tally.checked_in += sum(1 for s in signups if s.checked_in_at)
    tally.walk_ins += sum(1 for s in signups if s.status == Signup.Status.WALK_IN)


def _seed_upcoming(event: EventPage, spec: DemoEvent, cast: Cast, tally: Tally) -> None:
    """Sign-ups through ``signup_create``, as staff and group leaders make them for register
    members; the full event gets a waiting list of six."""
    if event.signup_state() != "open":
        return
    rng = cast.rng
    questions = list(event.questions.all())
    specs = {q.label: q for q in spec.questions}

    def sign_up(**person) -> Signup | None:
        try:
            return services.signup_create(
                event_id=event.pk,
                party_size=min(_party_size(event, rng), 2),
                answers=_answers(questions, specs, rng),
                **person,
            )
        except services.SignupRefused:
            return None

    made = []
    if spec.role == "relative_upcoming" and cast.relative_user is not None:
        made.append(sign_up(actor=cast.relative_user))
    wanted_waiting = 6 if spec.role == "full" else 0
    target = (
        event.capacity
        if spec.role == "full"
        else round(event.capacity * rng.uniform(*spec.ahead_fill))
    )
    waiting = 0
    for member in _candidates(event, cast):
        taken = EventSeats.objects.confirmed_for(event_id=event.pk)
        if waiting >= wanted_waiting and taken >= target:
            break
        signup = sign_up(member_id=member.pk, actor=cast.staff)
        made.append(signup)
        if signup is not None and signup.status == Signup.Status.WAITLISTED:
            waiting += 1
    made = [signup for signup in made if signup is not None]
    tally.signups += len(made)
    tally.waitlisted += sum(1 for s in made if s.status == Signup.Status.WAITLISTED)


def _home_page():
    """The default site's root page (the portal's HomePage; events does not import portal)."""
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    return site.root_page.specific if site else None


@transaction.atomic
def seed(*, stdout, options: dict | None = None) -> list:
    if _home_page() is None:
        stdout.write("events: no home page (run migrate first).")
        return []
    cast = _cast(random.Random(2026))
    index = events_index(user=cast.staff)
    existing = set(index.get_children().values_list("slug", flat=True))
    communities = {c.name: c for c in Community.objects.all()}
    home = cast.home_community()
    if home is not None:
        communities["home"] = home
    today = timezone.localdate()
    now = timezone.now()
    tally = Tally()
    for spec in EVENTS:
        if spec.slug in existing:
            continue
        event = _event_page(spec, today=today, communities=communities)
        index.add_child(instance=event)
        event.save_revision(user=cast.staff).publish(user=cast.staff)
        event.refresh_from_db()
        tally.created += 1
        if event.ends_at <= now:
            _seed_past(event, spec, cast, tally)
        else:
            _seed_upcoming(event, spec, cast, tally)
        services.event_seats_recount(event_id=event.pk)  # the past ones were written in bulk
        # Made-up people get no text or mail: what the demo owes them is closed unsent.
        notices.notices_discard(
            topic=NOTICE_TOPIC,
            object_ids=Signup.objects.filter(event=event).values_list("pk", flat=True),
        )
    # its own events (other apps' demos may add theirs under the same index: volunteers)
    total = EventPage.objects.child_of(index).filter(slug__in=[s.slug for s in EVENTS]).count()
    if not tally.created:
        stdout.write(f"events: demo events already there ({total} events).")
        return []
    stdout.write(
        f"events: {tally.created} events created ({total} in all), {tally.signups} sign-ups, "
        f"{tally.waitlisted} waiting, {tally.checked_in} checked in ({tally.walk_ins} walk-ins)."
    )
    return []
