"""The office's reports: hours by skill, community and month; open and overdue requests;
volunteers without service for six months; each as .xlsx."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from households.models import AccessLog
from tests.factories import UserFactory
from tests.factories.volunteers import volunteer_approved
from volunteers import services
from volunteers.models import HelpRequest, Volunteer
from volunteers.selectors import reports

pytestmark = pytest.mark.django_db


def at(days_ago: int, hour: int = 9) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def year_of_work(world, staff, relative, skills):
    repairer = volunteer_approved(
        UserFactory(name="修理工"),
        staff=staff,
        skills=[skills["repair"]],
        communities=[world.community_a],
    )
    idle = volunteer_approved(
        UserFactory(name="闲置者"),
        staff=staff,
        skills=[skills["photo"]],
        communities=[world.community_b],
    )
    Volunteer.objects.filter(pk=idle.pk).update(joined_at=timezone.now() - timedelta(days=400))
    request = services.help_request_create(
        actor=relative,
        household_id=world.hA1.pk,
        skill_id=skills["repair"].pk,
        title="修洗衣机",
        times=1,
    )
    services.help_request_take(actor=repairer.user, request_id=request.pk)
    entry = services.hours_log(
        actor=repairer.user,
        request_id=request.pk,
        started_at=at(2),
        ended_at=at(2, 12),
        description="修洗衣机",
    )
    services.hours_confirm(actor=staff, entry_id=entry.pk)
    other = services.hours_log(
        actor=staff,
        volunteer_id=repairer.pk,
        started_at=at(3),
        ended_at=at(3, 10),
        description="值班",
    )
    services.hours_confirm(actor=staff, entry_id=other.pk)
    late = services.help_request_create(
        actor=relative,
        household_id=world.hA1.pk,
        skill_id=skills["photo"].pk,
        title="拍全家福",
        times=1,
    )
    HelpRequest.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=1))
    return repairer, idle, late


def test_hours_by_skill_community_and_month(staff, year_of_work):
    year = timezone.localdate(at(2)).year
    by_skill = {r.label: r.hours for r in reports.hours_by_skill(staff, year=year)}
    assert by_skill == {"家电维修": Decimal("3.00"), "其他": Decimal("1.00")}
    by_community = {r.label: r.hours for r in reports.hours_by_community(staff, year=year)}
    assert by_community["东港社区"] == Decimal("3.00")
    assert sum(r.hours for r in reports.hours_by_month(staff, year=year)) == Decimal("4.00")


def test_overdue_requests_and_inactive_volunteers(staff, year_of_work):
    _repairer, idle, late = year_of_work
    assert list(reports.requests_overdue(staff)) == [late]
    assert list(reports.volunteers_inactive(staff)) == [idle]


def test_a_group_leader_sees_only_their_scope(group_leader, year_of_work):
    year = timezone.localdate(at(2)).year
    # neither volunteer is in group A1's register records (both applied online without one)
    assert reports.hours_by_skill(group_leader, year=year) == []
    assert list(reports.volunteers_inactive(group_leader)) == []


def test_the_report_page_and_its_excel_files(client_for, year_of_work):
    client = client_for("staff")
    html = client.get(reverse("volunteers_admin_reports")).content.decode()
    assert "家电维修" in html and "拍全家福" in html and "闲置者" in html
    assert "1 项互助需求已逾期" in html
    response = client.get(reverse("volunteers_admin_reports") + "?export=inactive")
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.active.values)
    assert rows[0][0] == "姓名" and rows[1][0] == "闲置者"
    assert AccessLog.objects.filter(action="export", object_type="volunteer").count() == 1
    skills = load_workbook(
        io.BytesIO(client.get(reverse("volunteers_admin_reports") + "?export=skill").content)
    )
    assert ("家电维修", 3, 1, 1) in [tuple(r) for r in skills.active.values]
    assert client.get(reverse("volunteers_admin_reports") + "?export=nope").status_code == 404
