"""The office's reports on the team: hours by skill, by community and by month; help requests
open past their date; volunteers with no service for six months. Each is one aggregate query
over the user's volunteer scope, ready for a table or an .xlsx file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import CharField, Count, Exists, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import RequestStatus, Status
from ..models import HelpRequest, ServiceHours, SlotTaking, Volunteer
from . import help_request_scope_for, volunteer_scope_for

INACTIVE_DAYS = 183


@dataclass(frozen=True)
class HoursRow:
    label: str
    hours: Decimal
    entries: int
    volunteers: int


def _confirmed(user, year: int) -> QuerySet[ServiceHours]:
    return ServiceHours.objects.filter(
        status=ServiceHours.Status.CONFIRMED,
        started_at__year=year,
        volunteer__in=volunteer_scope_for(user),
    )


def _rows(queryset, label_field: str, *, label=lambda value: value) -> list[HoursRow]:
    rows = (
        queryset.values(label_field)
        .annotate(total=Sum("hours"), n=Count("pk"), people=Count("volunteer_id", distinct=True))
        .order_by("-total", label_field)
    )
    return [
        HoursRow(label(row[label_field]), row["total"], row["n"], row["people"]) for row in rows
    ]


def hours_by_skill(user, *, year: int) -> list[HoursRow]:
    """Confirmed hours by the skill served: a help request's skill, or the skill of the place
    held at a shift; other service counts as 其他."""
    place = SlotTaking.objects.filter(
        event_id=OuterRef("event_id"), volunteer_id=OuterRef("volunteer_id")
    ).values("slot__skill__name")[:1]
    entries = _confirmed(user, year).annotate(
        skill_name=Coalesce(
            "request__skill__name",
            Subquery(place, output_field=CharField()),
            Value(_("其他")),
            output_field=CharField(),
        )
    )
    return _rows(entries, "skill_name")


def hours_by_community(user, *, year: int) -> list[HoursRow]:
    """Confirmed hours by community: where the help was asked, else the volunteer's own."""
    entries = _confirmed(user, year).annotate(
        place=Coalesce(
            "request__community__name",
            "volunteer__member__household__community__name",
            Value(_("未关联社区")),
            output_field=CharField(),
        )
    )
    return _rows(entries, "place")


def hours_by_month(user, *, year: int) -> list[HoursRow]:
    entries = _confirmed(user, year).annotate(month=TruncMonth("started_at"))
    rows = _rows(entries, "month", label=lambda value: timezone.localtime(value).strftime("%Y-%m"))
    return sorted(rows, key=lambda row: row.label)


def requests_overdue(user) -> QuerySet[HelpRequest]:
    """Requests still open or unfinished past the date their urgency set."""
    return (
        help_request_scope_for(user)
        .filter(status__in=[RequestStatus.OPEN, RequestStatus.ASSIGNED], due_at__lt=timezone.now())
        .select_related("skill", "community", "volunteer", "household")
        .order_by("due_at")
    )


def requests_open(user) -> QuerySet[HelpRequest]:
    return (
        help_request_scope_for(user)
        .filter(status__in=[RequestStatus.OPEN, RequestStatus.ASSIGNED])
        .select_related("skill", "community", "volunteer", "household")
        .order_by("due_at")
    )


def volunteers_inactive(user, *, days: int = INACTIVE_DAYS) -> QuerySet[Volunteer]:
    """Volunteers on the team for more than ``days`` with no service in that time: no hours
    logged, no help request taken, no place held at a shift."""
    since = timezone.now() - timedelta(days=days)
    served = ServiceHours.objects.filter(
        volunteer_id=OuterRef("pk"), started_at__gte=since
    ).exclude(status=ServiceHours.Status.REVERSED)
    helped = HelpRequest.objects.filter(volunteer_id=OuterRef("pk"), assigned_at__gte=since)
    shifts = SlotTaking.objects.filter(
        volunteer_id=OuterRef("pk"), event__starts_at__gte=since
    ).filter(status=SlotTaking.Status.ACTIVE)
    last = (
        ServiceHours.objects.filter(volunteer_id=OuterRef("pk"))
        .exclude(status=ServiceHours.Status.REVERSED)
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    return (
        volunteer_scope_for(user)
        .filter(status=Status.ACTIVE, joined_at__lt=since)
        .filter(~Exists(served) & ~Exists(helped) & ~Exists(shifts))
        .annotate(last_served=Subquery(last))
        .select_related("member__household__community")
        .prefetch_related("skills__skill")
        .order_by("last_served", "joined_at")
    )


__all__ = [
    "INACTIVE_DAYS",
    "HoursRow",
    "hours_by_community",
    "hours_by_month",
    "hours_by_skill",
    "requests_open",
    "requests_overdue",
    "volunteers_inactive",
]
