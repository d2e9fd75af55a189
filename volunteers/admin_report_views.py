"""The office's reports on the team (admin → 义工报表), each downloadable as .xlsx."""

from __future__ import annotations

import io

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.spreadsheets import safe_xlsx_row
from households.access import access_log_record

from .selectors import reports


def _require(request) -> None:
    if not request.user.has_perm("volunteers.view_volunteer"):
        raise PermissionDenied


def _year(request) -> int:
    this = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this))
    except ValueError:
        return this
    return year if 2000 <= year <= this else this


def _tables(request, year: int) -> dict:
    user = request.user
    hours_head = [_("小时"), _("记录数"), _("义工人数")]
    return {
        "skill": (
            _("%(year)s 年服务时长（按技能）") % {"year": year},
            [_("技能"), *hours_head],
            [
                [r.label, r.hours, r.entries, r.volunteers]
                for r in reports.hours_by_skill(user, year=year)
            ],
        ),
        "community": (
            _("%(year)s 年服务时长（按社区）") % {"year": year},
            [_("社区"), *hours_head],
            [
                [r.label, r.hours, r.entries, r.volunteers]
                for r in reports.hours_by_community(user, year=year)
            ],
        ),
        "month": (
            _("%(year)s 年服务时长（按月）") % {"year": year},
            [_("月份"), *hours_head],
            [
                [r.label, r.hours, r.entries, r.volunteers]
                for r in reports.hours_by_month(user, year=year)
            ],
        ),
        "open": (
            _("未完成的互助需求"),
            [_("需求"), _("技能"), _("社区"), _("状态"), _("期望完成时间"), _("义工"), _("逾期")],
            [
                [
                    r.title,
                    r.skill.name,
                    r.community.name,
                    r.get_status_display(),
                    timezone.localtime(r.due_at).strftime("%Y-%m-%d %H:%M"),
                    r.volunteer.name if r.volunteer else "",
                    _("是") if r.due_at < timezone.now() else "",
                ]
                for r in reports.requests_open(user)[:2000]
            ],
        ),
        "inactive": (
            _("半年没有服务的义工"),
            [_("姓名"), _("义工编号"), _("技能"), _("社区"), _("入队时间"), _("最近一次服务")],
            [
                [
                    v.name,
                    v.number,
                    "、".join(s.skill.name for s in v.skills.all()),
                    v.member.household.community.name if v.member_id else "",
                    timezone.localtime(v.joined_at).strftime("%Y-%m-%d") if v.joined_at else "",
                    timezone.localtime(v.last_served).strftime("%Y-%m-%d") if v.last_served else "",
                ]
                for v in reports.volunteers_inactive(user)[:2000]
            ],
        ),
    }


def report_index(request):
    _require(request)
    year = _year(request)
    tables = _tables(request, year)
    export = request.GET.get("export")
    if export:
        if export not in tables:
            raise Http404
        return _xlsx(request, year, export, tables[export])
    overdue = sum(1 for row in tables["open"][2] if row[-1])
    return TemplateResponse(
        request,
        "volunteers/admin/reports.html",
        {
            "year": year,
            "years": list(range(timezone.localdate().year, timezone.localdate().year - 5, -1)),
            "tables": [(key, *table) for key, table in tables.items()],
            "overdue": overdue,
        },
    )


def _xlsx(request, year: int, key: str, table) -> HttpResponse:
    from openpyxl import Workbook

    title, head, rows = table
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(safe_xlsx_row(head))
    for row in rows:
        sheet.append(safe_xlsx_row(row))
    buffer = io.BytesIO()
    book.save(buffer)
    if key == "inactive":  # names of register people leave the system: logged
        access_log_record(
            user=request.user,
            action="export",
            object_type="volunteer",
            filters={"report": key},
            row_count=len(rows),
        )
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="volunteers-{key}-{year}.xlsx"'
    return response
