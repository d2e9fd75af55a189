"""Service-record certificates: issued from confirmed hours, a PDF with the Chinese font
embedded and a QR code, a public check page that says genuine, superseded or changed, and 404
for a serial that does not exist."""

from __future__ import annotations

import re
import zlib
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.factories.volunteers import volunteer_approved
from volunteers import selectors, services
from volunteers.certificate_pdf import certificate_pdf
from volunteers.models import Certificate
from volunteers.services import SkillChoice, VolunteerRefused

pytestmark = pytest.mark.django_db


def at(days_ago: int, hour: int) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def served(world, staff, skills):
    """吴国栋 (hA2, ID number on file), enrolled on paper: three confirmed entries, one waiting."""
    volunteer = services.volunteer_enrol(
        actor=staff,
        member_id=world.mA2.pk,
        skills=[SkillChoice(skills["calligraphy"].pk, "professional")],
        times=1,
        community_ids=[world.community_a.pk],
        approve=True,
    )
    entries = []
    for days_ago, what, hours in [(40, "春联义写", 3), (20, "书法课", 2), (5, "书法课", 2)]:
        entry = services.hours_log(
            actor=staff,
            volunteer_id=volunteer.pk,
            started_at=at(days_ago, 9),
            ended_at=at(days_ago, 9 + hours),
            description=what,
        )
        services.hours_confirm(actor=staff, entry_id=entry.pk)
        entries.append(entry)
    services.hours_log(
        actor=staff,
        volunteer_id=volunteer.pk,
        started_at=at(2, 9),
        ended_at=at(2, 10),
        description="未确认",
    )
    return volunteer, entries


def _issue(staff, volunteer, days=60):
    today = timezone.localdate()
    return services.certificate_issue(
        actor=staff,
        volunteer_id=volunteer.pk,
        period_start=today - timedelta(days=days),
        period_end=today,
    )


def test_a_certificate_counts_confirmed_hours_by_month_with_the_id_masked(served, staff, world):
    volunteer, _ = served
    certificate = _issue(staff, volunteer)
    assert certificate.hours == Decimal("7.00")  # the unconfirmed hour is not counted
    assert re.fullmatch(r"QXZ\d{4}-0001", certificate.serial)
    assert certificate.name == "吴国栋" and certificate.number == volunteer.number
    id_number = world.mA2.id_number
    assert certificate.id_masked == f"{id_number[:4]}**********{id_number[-4:]}"
    assert sum(Decimal(line["hours"]) for line in certificate.lines) == Decimal("7.00")
    assert any("春联义写" in line["what"] for line in certificate.lines)


def test_refusals(served, staff, relative, world, skills):
    volunteer, _ = served
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.certificate_issue(
            actor=relative, volunteer_id=volunteer.pk, period_start=today, period_end=today
        )
    with pytest.raises(VolunteerRefused, match="起始日期不能晚于"):
        services.certificate_issue(
            actor=staff,
            volunteer_id=volunteer.pk,
            period_start=today,
            period_end=today - timedelta(days=1),
        )
    with pytest.raises(VolunteerRefused, match="不能晚于今天"):
        services.certificate_issue(
            actor=staff,
            volunteer_id=volunteer.pk,
            period_start=today,
            period_end=today + timedelta(days=1),
        )
    with pytest.raises(VolunteerRefused, match="没有已确认的服务时长"):
        services.certificate_issue(
            actor=staff,
            volunteer_id=volunteer.pk,
            period_start=today - timedelta(days=3),
            period_end=today,
        )
    assert not Certificate.objects.exists()


def test_the_pdf_embeds_the_chinese_font_and_the_qr_code(served, staff):
    volunteer, _ = served
    pdf = certificate_pdf(_issue(staff, volunteer))
    assert pdf.startswith(b"%PDF-")
    streams = []
    for match in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", match.end())
        try:
            streams.append(zlib.decompress(pdf[match.end() : end]))
        except zlib.error:
            continue
    text = pdf + b"".join(streams)
    assert b"/FontFile2" in text  # a TrueType font program inside the file: embedded
    assert re.search(rb"/FontName /[A-Z]{6}\+", text)  # a subset of it, as printers expect


def test_the_check_page_says_genuine_then_changed_then_superseded(client, served, staff):
    volunteer, entries = served
    first = _issue(staff, volunteer)
    url = reverse("volunteers:verify", args=[first.serial])
    html = client.get(url).content.decode()
    assert "真实有效" in html and "吴*栋" in html and "吴国栋" not in html
    assert "7 小时" in html

    services.hours_reverse(actor=staff, entry_id=entries[1].pk, reason="重复登记")
    assert selectors.certificate_check(first.serial).state == "changed"
    assert "记录已变更" in client.get(url).content.decode()

    second = _issue(staff, volunteer)
    first.refresh_from_db()
    assert first.status == Certificate.Status.SUPERSEDED and first.superseded_by == second
    html = client.get(url).content.decode()
    assert "已被取代" in html and second.serial in html
    assert (
        "真实有效"
        in client.get(reverse("volunteers:verify", args=[second.serial])).content.decode()
    )


def test_a_serial_that_does_not_exist_is_a_404_that_says_so(client):
    response = client.get(reverse("volunteers:verify", args=["QXZ2026-9999"]))
    assert response.status_code == 404
    assert "查无此证明" in response.content.decode()


def test_the_volunteer_downloads_their_own_and_staff_issue_in_the_admin(
    client, client_for, staff, world, skills
):
    helper = volunteer_approved(
        UserFactory(name="李师傅"),
        staff=staff,
        skills=[skills["repair"]],
        communities=[world.community_a],
    )
    entry = services.hours_log(
        actor=staff,
        volunteer_id=helper.pk,
        started_at=at(3, 9),
        ended_at=at(3, 11),
        description="修家电",
    )
    services.hours_confirm(actor=staff, entry_id=entry.pk)
    admin = client_for("staff")
    today = timezone.localdate()
    response = admin.post(
        reverse("volunteers_admin_certificate_issue", args=[helper.pk]),
        {"period_start": (today - timedelta(days=10)).isoformat(), "period_end": today.isoformat()},
    )
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    detail = admin.get(reverse("volunteers_admin_detail", args=[helper.pk])).content.decode()
    assert certificate.serial in detail

    client.force_login(helper.user)
    page = client.get(reverse("volunteers:mine")).content.decode()
    assert certificate.serial in page
    pdf = client.get(reverse("volunteers:my_certificate", args=[certificate.serial]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    client.force_login(UserFactory())
    assert (
        client.get(reverse("volunteers:my_certificate", args=[certificate.serial])).status_code
        == 404
    )
