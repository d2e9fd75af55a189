"""Reads of the volunteers app. Who sees which volunteer is decided here, on top of the
register's scope (``households.selectors.member_scope_for``): staff with
``volunteers.view_all_volunteers`` see the whole team; group leaders, cadres and committee
members see the volunteers whose register record they may see; everyone else sees none. The
volunteer's own record is read through ``volunteer_own_for``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.locking import lock_row
from events.choices import EventKind
from events.pages import EventPage
from households.selectors import (
    Viewer,
    WholeRegister,
    household_own_for,
    household_scope_for,
    member_scope_for,
)

from ..choices import Level, RequestStatus, Status, Urgency
from ..models import (
    Certificate,
    HelpRequest,
    ServiceHours,
    ShiftSlot,
    Skill,
    SlotTaking,
    Volunteer,
    VolunteerLog,
    VolunteerSkill,
)


def user_sees_all_volunteers(user: Viewer) -> bool:
    if isinstance(user, WholeRegister):
        return True
    return bool(
        user.is_authenticated and user.is_active and user.has_perm("volunteers.view_all_volunteers")
    )


def volunteer_scope_for(user: Viewer) -> QuerySet[Volunteer]:
    """The volunteers ``user`` may see in lists and screens. Objects outside answer 404."""
    queryset = Volunteer.objects.all()
    if user_sees_all_volunteers(user):
        return queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if not user.has_perm("volunteers.view_volunteer"):
        return queryset.none()
    return queryset.filter(member__in=member_scope_for(user))


def volunteer_access_for(user: Viewer, volunteer_id: int, *, lock: bool = False) -> Volunteer:
    """One volunteer as ``user`` may act on them: ``Volunteer.DoesNotExist`` when outside the
    user's scope, exactly as when missing. ``lock=True`` locks the row (inside a transaction)."""
    queryset = volunteer_scope_for(user)
    if lock:
        return lock_row(queryset, pk=volunteer_id)
    return queryset.get(pk=volunteer_id)


def volunteer_own_for(user) -> Volunteer | None:
    """The user's own volunteer record: applied online, or enrolled on paper for their
    register record."""
    if not user.is_authenticated:
        return None
    return (
        Volunteer.objects.filter(Q(user=user) | Q(member__user=user))
        .prefetch_related("skills__skill", "communities")
        .order_by("-user_id")
        .first()
    )


def skills_open() -> list[Skill]:
    """The skills people may apply with, in the staff's order."""
    return list(Skill.objects.filter(is_active=True))


def volunteer_history(volunteer: Volunteer) -> list[VolunteerLog]:
    return list(volunteer.log.select_related("actor"))


def volunteer_list_for(
    user: Viewer, *, status: str = "", skill_id: int | None = None, query: str = ""
) -> QuerySet[Volunteer]:
    queryset = volunteer_scope_for(user)
    if status:
        queryset = queryset.filter(status=status)
    if skill_id:
        queryset = queryset.filter(skills__skill_id=skill_id)
    query = (query or "").strip()
    if query:
        queryset = queryset.filter(Q(name__contains=query) | Q(number__iexact=query))
    return queryset.select_related("member__household__community").prefetch_related("skills__skill")


@dataclass(frozen=True)
class SkillFigure:
    skill: Skill
    volunteers: int


def skill_figures() -> list[SkillFigure]:
    """Each skill open for applications with how many volunteers on the team offer it (one
    aggregate query)."""
    skills = Skill.objects.filter(is_active=True).annotate(
        serving=Count("holders", filter=Q(holders__volunteer__status=Status.ACTIVE))
    )
    return [SkillFigure(skill, skill.serving) for skill in skills]


def pending_count(user: Viewer) -> int:
    return volunteer_scope_for(user).filter(status=Status.PENDING).count()


# -- help requests --------------------------------------------------------------------------------


def user_manages_requests(user) -> bool:
    return bool(user.is_authenticated and user.has_perm("volunteers.manage_helprequest"))


def help_request_scope_for(user: Viewer) -> QuerySet[HelpRequest]:
    """The requests ``user`` may open: staff who manage requests see all of them; anyone else
    those of the households in their register scope (their own household, a leader's
    households) and the ones they serve as the assigned volunteer."""
    queryset = HelpRequest.objects.all()
    if isinstance(user, WholeRegister) or user_manages_requests(user):
        return queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    return queryset.filter(
        Q(household__in=household_scope_for(user))
        | Q(volunteer__user=user)
        | Q(volunteer__member__user=user)
    )


def help_request_access_for(user: Viewer, request_id: int) -> HelpRequest:
    """One request as ``user`` may see it: ``HelpRequest.DoesNotExist`` outside their scope."""
    return (
        help_request_scope_for(user)
        .select_related("skill", "community", "household", "volunteer", "requested_by")
        .get(pk=request_id)
    )


def help_request_list_for(
    user: Viewer, *, status: str = "", overdue: bool = False
) -> QuerySet[HelpRequest]:
    queryset = help_request_scope_for(user).select_related(
        "skill", "community", "household", "volunteer"
    )
    if status:
        queryset = queryset.filter(status=status)
    if overdue:
        queryset = queryset.filter(
            status__in=[RequestStatus.OPEN, RequestStatus.ASSIGNED], due_at__lt=timezone.now()
        )
    return queryset


def help_requests_of_household(user) -> QuerySet[HelpRequest]:
    """The requests of the user's own household (the "my requests" page)."""
    own = household_own_for(user)
    if own is None:
        return HelpRequest.objects.none()
    return HelpRequest.objects.filter(household=own).select_related("skill", "volunteer")


def help_requests_served_by(volunteer: Volunteer) -> QuerySet[HelpRequest]:
    return HelpRequest.objects.filter(volunteer=volunteer).select_related(
        "skill", "community", "household"
    )


_URGENCY_RANK = Case(
    When(urgency=Urgency.URGENT, then=Value(3)),
    When(urgency=Urgency.SOON, then=Value(2)),
    default=Value(1),
    output_field=IntegerField(),
)


def help_requests_open_for(volunteer: Volunteer) -> QuerySet[HelpRequest]:
    """Open requests for the skills the volunteer offers: the communities they serve first,
    then the most urgent, then the oldest."""
    skill_ids = list(volunteer.skills.values_list("skill_id", flat=True))
    community_ids = list(volunteer.communities.values_list("pk", flat=True))
    return (
        HelpRequest.objects.filter(status=RequestStatus.OPEN, skill_id__in=skill_ids)
        .annotate(
            near=Case(
                When(community_id__in=community_ids, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            urgency_rank=_URGENCY_RANK,
        )
        .select_related("skill", "community")
        .order_by("-near", "-urgency_rank", "created_at", "id")
    )


@dataclass(frozen=True)
class Proposal:
    """A volunteer proposed for a request, with why."""

    volunteer: Volunteer
    level: str
    same_community: bool
    time_fits: bool
    load: int

    @property
    def reasons(self) -> list[str]:
        reasons = [str(Level(self.level).label)]
        reasons.append(str(_("同社区")) if self.same_community else str(_("其他社区")))
        reasons.append(str(_("时间合适")) if self.time_fits else str(_("时间不一定合适")))
        reasons.append(str(_("手头 %(n)d 件") % {"n": self.load}))
        return reasons


def volunteers_proposed(*, user: Viewer, request: HelpRequest, limit: int = 10) -> list[Proposal]:
    """Volunteers on the team with the request's skill, ranked: those serving the request's
    community first, then by level (professional, experienced, willing to learn), then those
    free at the requested times, then the least busy (requests in hand). One query, ordered
    and cut in the database (an index on the skill, a million-member register behind it)."""
    in_hand = (
        HelpRequest.objects.filter(volunteer_id=OuterRef("pk"), status=RequestStatus.ASSIGNED)
        .order_by()
        .values("volunteer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    serves = Volunteer.communities.through.objects.filter(
        volunteer_id=OuterRef("pk"), community_id=request.community_id
    )
    level = VolunteerSkill.objects.filter(
        volunteer_id=OuterRef("pk"), skill_id=request.skill_id
    ).values("level")[:1]
    queryset = (
        volunteer_scope_for(user)
        .filter(status=Status.ACTIVE, skills__skill_id=request.skill_id)
        .annotate(
            skill_level=Subquery(level),
            same_community=Exists(serves),
            load=Coalesce(Subquery(in_hand, output_field=IntegerField()), Value(0)),
        )
        .annotate(
            level_rank=Case(
                When(skill_level=Level.PROFESSIONAL, then=Value(3)),
                When(skill_level=Level.EXPERIENCED, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            overlap=ExpressionWrapper(
                F("times").bitand(request.times), output_field=IntegerField()
            ),
        )
        .annotate(
            fits=Case(
                When(overlap__gt=0, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
        .exclude(pk=request.volunteer_id or 0)
        .order_by("-same_community", "-level_rank", "-fits", "load", "pk")
        .select_related("member__household__community")[:limit]
    )
    return [
        Proposal(
            volunteer=v,
            level=v.skill_level,
            same_community=v.same_community,
            time_fits=bool(v.fits),
            load=v.load,
        )
        for v in queryset
    ]


@dataclass(frozen=True)
class Contact:
    """The other side of a matched pair: who, a phone number (full), an address."""

    name: str
    phone: str
    address: str


def user_speaks_for_request(user, request: HelpRequest) -> bool:
    """Whether ``user`` acts for the household of ``request``: the requester, a member of the
    household, or someone who may ask for households (its leader, staff) with it in scope."""
    if not user.is_authenticated:
        return False
    if request.requested_by_id == user.pk:
        return True
    own = household_own_for(user)
    if own is not None and own.pk == request.household_id:
        return True
    return user.has_perm("volunteers.add_helprequest") and (
        household_scope_for(user).filter(pk=request.household_id).exists()
    )


def _is_assigned_volunteer(user, request: HelpRequest) -> bool:
    volunteer = request.volunteer
    if volunteer is None or not user.is_authenticated:
        return False
    return volunteer.user_id == user.pk or bool(
        volunteer.member_id and volunteer.member.user_id == user.pk
    )


def request_contact_for(user, request: HelpRequest) -> Contact | None:
    """What the matched pair may see of each other, or None for anyone else (and before a
    volunteer is assigned, and after the request was cancelled). The pair is the assigned
    volunteer and the household's side: whoever asked (a leader asking on its behalf
    included) and the household's own members. The volunteer sees the household's address
    and phone; the household sees the volunteer's phone when the volunteer agreed to share it.
    Callers log every showing."""
    from core.phones import display_phone

    if request.volunteer_id is None or request.status == RequestStatus.CANCELLED:
        return None
    if not user.is_authenticated:
        return None
    volunteer = request.volunteer
    if _is_assigned_volunteer(user, request):
        household = request.household
        phone = household.home_phone or request_householder_mobile(household)
        requester = request.requested_by if not request.on_behalf else None
        if requester is not None and requester.phone and requester.phone_verified:
            phone = requester.phone
        return Contact(
            name=household.householder_name or str(household),
            phone=display_phone(phone) if phone.startswith("+") else phone,
            address=household.address,
        )
    own = household_own_for(user)
    household_side = request.requested_by_id == user.pk or (
        own is not None and own.pk == request.household_id
    )
    if not household_side:
        return None
    if not volunteer.consent_share_contact:
        return Contact(name=volunteer.name, phone="", address="")
    phone = ""
    if volunteer.user_id and volunteer.user.phone and volunteer.user.phone_verified:
        phone = volunteer.user.phone
    elif volunteer.member_id:
        phone = volunteer.member.mobile
    return Contact(
        name=volunteer.name,
        phone=display_phone(phone) if phone.startswith("+") else phone,
        address="",
    )


def request_householder_mobile(household) -> str:
    member = (
        household.members.filter(relation="householder").exclude(mobile="").first()
        or household.members.exclude(mobile="").order_by("pk").first()
    )
    return member.mobile if member else ""


# -- shifts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotFigure:
    slot: ShiftSlot
    taken: int

    @property
    def left(self) -> int:
        return max(0, self.slot.places - self.taken)


def slot_figures(event_id: int) -> list[SlotFigure]:
    """The slots of one shift with their takings counted (one query)."""
    slots = (
        ShiftSlot.objects.filter(event_id=event_id)
        .select_related("skill")
        .annotate(taken=Count("takings", filter=Q(takings__status=SlotTaking.Status.ACTIVE)))
    )
    return [SlotFigure(slot, slot.taken) for slot in slots]


def shifts_upcoming(*, with_slots: bool = True):
    """Volunteer events (kind 志愿活动) not over yet, soonest first; with ``with_slots`` only
    those that are shifts (have slots)."""
    events = EventPage.objects.live().filter(kind=EventKind.VOLUNTEER, ends_at__gt=timezone.now())
    if with_slots:
        events = events.filter(pk__in=ShiftSlot.objects.values("event_id"))
    return events.order_by("starts_at")


def shift_for(event_id: int):
    """A live volunteer event with slots, or ``EventPage.DoesNotExist``."""
    return EventPage.objects.live().get(
        pk=event_id, kind=EventKind.VOLUNTEER, pk__in=ShiftSlot.objects.values("event_id")
    )


def slot_takings_of(volunteer: Volunteer):
    return (
        SlotTaking.objects.filter(volunteer=volunteer, status=SlotTaking.Status.ACTIVE)
        .select_related("slot__skill", "event")
        .order_by("event__starts_at")
    )


def shift_takings(event_id: int, user: Viewer):
    """Who holds which slot of a shift, within the user's volunteer scope."""
    return (
        SlotTaking.objects.filter(
            event_id=event_id,
            status=SlotTaking.Status.ACTIVE,
            volunteer__in=volunteer_scope_for(user),
        )
        .select_related("slot__skill", "volunteer", "signup")
        .order_by("slot__skill__sort_order", "taken_at")
    )


# -- service hours --------------------------------------------------------------------------------


def hours_of(volunteer: Volunteer, *, year: int | None = None) -> QuerySet[ServiceHours]:
    entries = ServiceHours.objects.filter(volunteer=volunteer).select_related(
        "request", "event", "confirmed_by"
    )
    if year:
        entries = entries.filter(started_at__year=year)
    return entries.order_by("-started_at")


def hours_total(volunteer: Volunteer, *, year: int) -> Decimal:
    """Confirmed hours of the volunteer in ``year`` (local time)."""
    total = ServiceHours.objects.filter(
        volunteer=volunteer, status=ServiceHours.Status.CONFIRMED, started_at__year=year
    ).aggregate(total=Sum("hours"))["total"]
    return total or Decimal("0")


def hours_totals(volunteer_ids: list[int], *, year: int) -> dict[int, Decimal]:
    """Confirmed hours in ``year`` per volunteer (one query)."""
    rows = (
        ServiceHours.objects.filter(
            volunteer_id__in=volunteer_ids,
            status=ServiceHours.Status.CONFIRMED,
            started_at__year=year,
        )
        .values("volunteer_id")
        .annotate(total=Sum("hours"))
    )
    return {row["volunteer_id"]: row["total"] for row in rows}


def hours_pending_for(user) -> QuerySet[ServiceHours]:
    """Entries waiting for confirmation that ``user`` may confirm: staff who record hours, those
    of the volunteers in their scope; group leaders, those served to the households they may
    ask for. Never their own."""
    entries = ServiceHours.objects.filter(status=ServiceHours.Status.LOGGED).select_related(
        "volunteer", "request__household", "event"
    )
    if not user.is_authenticated:
        return entries.none()
    if user.has_perm("volunteers.record_hours"):
        entries = entries.filter(volunteer__in=volunteer_scope_for(user))
    elif user.has_perm("volunteers.add_helprequest"):
        entries = entries.filter(request__household__in=household_scope_for(user))
    else:
        return entries.none()
    return entries.exclude(volunteer__user=user).exclude(volunteer__member__user=user)


@dataclass(frozen=True)
class HoursProposal:
    """Hours proposed from a shift's check-in: from checking in to checking out (or to the
    event's end when nobody checked the volunteer out)."""

    taking: SlotTaking
    started_at: object
    ended_at: object

    @property
    def hours(self) -> Decimal:
        seconds = Decimal((self.ended_at - self.started_at).total_seconds())
        return (seconds / Decimal(3600)).quantize(Decimal("0.01"))


def hours_proposals(volunteer: Volunteer) -> list[HoursProposal]:
    """Shifts the volunteer checked in at and has logged no hours for."""
    logged = ServiceHours.objects.filter(volunteer=volunteer, event_id=OuterRef("event_id"))
    takings = (
        SlotTaking.objects.filter(
            volunteer=volunteer,
            status=SlotTaking.Status.ACTIVE,
            signup__checked_in_at__isnull=False,
        )
        .annotate(logged=Exists(logged.exclude(status=ServiceHours.Status.REVERSED)))
        .filter(logged=False)
        .select_related("event", "signup", "slot__skill")
        .order_by("-event__starts_at")
    )
    now = timezone.now()
    proposals = []
    for taking in takings:
        start = taking.signup.checked_in_at
        end = taking.signup.checked_out_at or taking.event.ends_at
        end = min(end, now)
        if end > start:
            proposals.append(HoursProposal(taking=taking, started_at=start, ended_at=end))
    return proposals


# -- certificates ---------------------------------------------------------------------------------


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    first = timezone.make_aware(datetime(start.year, start.month, start.day))
    after = timezone.make_aware(datetime(end.year, end.month, end.day)) + timedelta(days=1)
    return first, after


def confirmed_entries(volunteer_id: int, start: date, end: date):
    """The confirmed entries of a volunteer that began within [start, end] (local days)."""
    first, after = _bounds(start, end)
    return ServiceHours.objects.filter(
        volunteer_id=volunteer_id,
        status=ServiceHours.Status.CONFIRMED,
        started_at__gte=first,
        started_at__lt=after,
    ).order_by("started_at", "pk")


def record_fingerprint(volunteer_id: int, start: date, end: date) -> str:
    """A digest of what the record holds for the period now (confirmed entries, their spans
    and hours): it changes when an entry is reversed or one is added."""
    digest = hashlib.sha256()
    rows = confirmed_entries(volunteer_id, start, end).values_list(
        "pk", "started_at", "ended_at", "hours"
    )
    for pk, started, ended, hours in rows:
        digest.update(f"{pk}|{started.isoformat()}|{ended.isoformat()}|{hours}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class CertificateCheck:
    """What the public check page says about a serial number."""

    certificate: Certificate
    #: "valid", "superseded" (a newer certificate replaced it) or "changed" (the record of
    #: the period no longer matches what it says)
    state: str


def certificate_check(serial: str) -> CertificateCheck | None:
    certificate = (
        Certificate.objects.select_related("superseded_by").filter(serial=serial.strip()).first()
    )
    if certificate is None:
        return None
    if certificate.status == Certificate.Status.SUPERSEDED:
        return CertificateCheck(certificate, "superseded")
    current = record_fingerprint(
        certificate.volunteer_id, certificate.period_start, certificate.period_end
    )
    return CertificateCheck(
        certificate, "valid" if current == certificate.fingerprint else "changed"
    )


def certificates_of(volunteer: Volunteer) -> QuerySet[Certificate]:
    return Certificate.objects.filter(volunteer=volunteer).order_by("-issued_at")


# -- the team page --------------------------------------------------------------------------------

#: Seconds the team page's figures are kept (a page view never waits on the aggregates; a
#: decision shows within this long).
TEAM_FIGURES_SECONDS = 300
HONOUR_ROLL_SIZE = 30


@dataclass(frozen=True)
class TeamFigures:
    year: int
    volunteers: int
    hours: Decimal
    skills: list[tuple[str, int]]
    #: (masked name, volunteer number, hours this year) of those who agreed to be shown
    honour_roll: list[tuple[str, str, Decimal]]


def team_figures(*, year: int | None = None) -> TeamFigures:
    """The public team page's figures: volunteers on the team, hours served this year, each
    skill with how many offer it, and the honour roll (only those who agreed, names masked).
    Cached briefly; a cache that is down only makes it compute every time."""
    from django.core.cache import cache

    from core.masking import mask_name

    year = year or timezone.localdate().year
    key = f"volunteers:team:{year}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    serving = [Status.ACTIVE, Status.PAUSED]
    hours = ServiceHours.objects.filter(
        status=ServiceHours.Status.CONFIRMED, started_at__year=year
    ).aggregate(total=Sum("hours"))["total"] or Decimal("0")
    top = (
        ServiceHours.objects.filter(
            status=ServiceHours.Status.CONFIRMED,
            started_at__year=year,
            volunteer__on_honour_roll=True,
            volunteer__status__in=serving,
        )
        .values("volunteer__name", "volunteer__number")
        .annotate(total=Sum("hours"))
        .order_by("-total", "volunteer__number")[:HONOUR_ROLL_SIZE]
    )
    figures = TeamFigures(
        year=year,
        volunteers=Volunteer.objects.filter(status__in=serving).count(),
        hours=hours,
        skills=[(f.skill.name, f.volunteers) for f in skill_figures()],
        honour_roll=[
            (mask_name(row["volunteer__name"]), row["volunteer__number"], row["total"])
            for row in top
        ],
    )
    cache.set(key, figures, TEAM_FIGURES_SECONDS)
    return figures
