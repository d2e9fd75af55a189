"""Service-record certificates (志愿服务记录证明), after the Ministry of Civil Affairs' rules
for volunteer service records (2021): true, complete, free of charge; whoever records,
certifies. A certificate carries the volunteer's name, ID number with its middle hidden,
volunteer number, confirmed hours and what was done by month, the issuer, the date and a serial
number; a QR code opens the public check page.

Issuing one for a period marks earlier valid certificates of an overlapping period superseded.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.masking import mask_id_number

from ..models import Certificate
from ..selectors import confirmed_entries, record_fingerprint, volunteer_access_for
from .common import VolunteerRefused, number_next, require_permission

if TYPE_CHECKING:
    from accounts.models import User

SERIAL_PREFIX = "QXZ"


def _lines(entries) -> tuple[list[dict], Decimal]:
    months: OrderedDict[str, dict] = OrderedDict()
    total = Decimal("0")
    for entry in entries:
        month = timezone.localtime(entry.started_at).strftime("%Y-%m")
        line = months.setdefault(month, {"month": month, "hours": Decimal("0"), "what": []})
        line["hours"] += entry.hours
        if entry.description not in line["what"]:
            line["what"].append(entry.description)
        total += entry.hours
    lines = [
        {"month": m["month"], "hours": str(m["hours"]), "what": "、".join(m["what"][:6])}
        for m in months.values()
    ]
    return lines, total


@transaction.atomic
def certificate_issue(
    *, actor: User, volunteer_id: int, period_start: date, period_end: date
) -> Certificate:
    """Issue a certificate of the volunteer's confirmed hours in [period_start, period_end]."""
    require_permission(actor, "volunteers.issue_certificate")
    volunteer = volunteer_access_for(actor, volunteer_id, lock=True)
    if not volunteer.number:
        raise VolunteerRefused(_("这位义工还没有义工编号（申请未通过），不能出具证明。"))
    if period_start is None or period_end is None or period_start > period_end:
        raise VolunteerRefused(
            _("请填写正确的起止日期：起始日期不能晚于截止日期。"), field="period"
        )
    if period_end > timezone.localdate():
        raise VolunteerRefused(_("截止日期不能晚于今天。"), field="period")
    entries = list(confirmed_entries(volunteer.pk, period_start, period_end))
    lines, total = _lines(entries)
    if total <= 0:
        raise VolunteerRefused(_("这段时间没有已确认的服务时长，不能出具证明。"), field="period")
    member = volunteer.member
    certificate = Certificate.objects.create(
        serial=number_next(prefix=SERIAL_PREFIX, year=timezone.localdate().year),
        volunteer=volunteer,
        name=volunteer.name,
        id_masked=mask_id_number(member.id_number) if member and member.id_number else "",
        number=volunteer.number,
        period_start=period_start,
        period_end=period_end,
        hours=total,
        lines=lines,
        fingerprint=record_fingerprint(volunteer.pk, period_start, period_end),
        issuer=settings.CERTIFICATE_ISSUER,
        issued_by=actor,
    )
    Certificate.objects.filter(
        volunteer=volunteer,
        status=Certificate.Status.VALID,
        period_start__lte=period_end,
        period_end__gte=period_start,
    ).exclude(pk=certificate.pk).update(
        status=Certificate.Status.SUPERSEDED, superseded_by=certificate
    )
    return certificate
