"""The sign-ups of one event as an .xlsx workbook, for staff to print or phone round.

Phones are always masked and the check-in code is left out: the file travels by e-mail and
USB stick, so it holds nothing that would let someone check in or call a stranger.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.spreadsheets import safe_xlsx_row

from .models import Signup
from .pages import EventQuestion

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(value: datetime | None):
    # Excel has no time zones: write the wall-clock time in the site's zone.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def signup_headers(questions: list[EventQuestion]) -> list[str]:
    return [
        _("姓名"),
        _("联系电话"),
        _("人数"),
        *[q.label for q in questions],
        _("状态"),
        _("候补顺位"),
        _("签到时间"),
        _("报名登记人"),
        _("报名时间"),
    ]


def signups_workbook(
    *,
    signups: Iterable[Signup],
    questions: list[EventQuestion],
    positions: dict[int, int],
) -> bytes:
    """One sheet, one row per sign-up, Chinese headers, answers as one column per question."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("报名名单"))
    # every cell through the safe-cell helper: names and answers are typed by the public
    sheet.append(safe_xlsx_row(signup_headers(questions)))
    for signup in signups:
        sheet.append(
            safe_xlsx_row(
                [
                    signup.name,
                    signup.masked_phone,
                    signup.party_size,
                    *[signup.answers.get(str(q.pk), "") for q in questions],
                    signup.get_status_display(),
                    positions.get(signup.pk),
                    _local(signup.checked_in_at),
                    signup.created_by.display_name if signup.created_by else "",
                    _local(signup.created_at),
                ]
            )
        )
    out = BytesIO()
    book.save(out)
    return out.getvalue()
