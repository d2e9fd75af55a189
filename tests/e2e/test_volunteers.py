"""Joining the volunteer team on a 360 px phone, in normal and in large text: a relative opens
"my page", applies (a refusal first: the form comes back filled in), and sees the application
waiting; axe-core finds nothing serious on either page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.e2e.conftest import NARROW, axe_serious, large_text, overflow_x, screenshot
from tests.factories import UserFactory
from tests.factories.households import CommunityFactory, HouseholdFactory, MemberFactory
from tests.factories.volunteers import skills_standard, volunteer_approved
from volunteers.models import HelpRequest, Volunteer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _logged_in(context, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def _check(page, name: str) -> None:
    assert overflow_x(page) == 0, f"{name}: wider than the phone"
    assert axe_serious(page) == [], name
    large_text(page)
    assert overflow_x(page) == 0, f"{name}: wider than the phone in large text"
    screenshot(page, f"{name}-large-text")
    page.reload()


def test_a_relative_applies_to_join_the_team(narrow_page, live_server, relative):
    skills = skills_standard()
    community = CommunityFactory(name="东港社区")
    MemberFactory(household=HouseholdFactory(community=community), name="王秀英", user=relative)
    page = narrow_page
    _logged_in(page.context, live_server, relative)

    page.goto("/me/")
    page.get_by_role("link", name="我的义工服务").click()
    page.wait_for_url(re.compile(r"/volunteers/me/$"))
    _check(page, "volunteers-mine-empty")
    page.get_by_role("link", name="申请加入义工服务队").click()
    page.wait_for_url(re.compile(r"/volunteers/apply/$"))
    _check(page, "volunteers-apply")

    assert page.get_by_label("姓名", exact=True).input_value() == "王秀英"
    page.get_by_label("周末上午").check()
    page.get_by_label("东港社区").check()
    page.get_by_label("想说的话（可不填）").fill("会修空调")
    page.get_by_role("button", name="提交申请").click()
    assert "请至少选择一项技能" in page.locator("main").inner_text()
    assert page.get_by_label("想说的话（可不填）").input_value() == "会修空调"
    assert page.get_by_label("周末上午").is_checked()
    _check(page, "volunteers-apply-refused")

    page.locator(f"#id_skill_{skills['repair'].pk}").select_option("experienced")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(re.compile(r"/volunteers/me/$"))
    assert "待审核" in page.locator("main").inner_text()
    _check(page, "volunteers-mine-pending")
    volunteer = Volunteer.objects.get(user=relative)
    assert volunteer.motivation == "会修空调"
    assert [s.skill.name for s in volunteer.skills.all()] == ["家电维修"]


def test_a_household_asks_a_volunteer_takes_it_and_the_household_confirms(
    browser, live_server, relative, staff
):
    skills = skills_standard()
    community = CommunityFactory(name="东港社区")
    household = HouseholdFactory(community=community, address="东港路 8 号")
    MemberFactory(household=household, name="王秀英", user=relative)
    helper = UserFactory(name="李师傅", phone="+8615800000001", phone_verified=True)
    volunteer_approved(helper, staff=staff, skills=[skills["repair"]], communities=[community])

    def phone(user):
        context = browser.new_context(
            viewport=NARROW,
            locale="zh-CN",
            is_mobile=True,
            has_touch=True,
            base_url=live_server.url,
        )
        _logged_in(context, live_server, user)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    asker = phone(relative)
    asker.goto("/volunteers/help/new/")
    _check(asker, "help-new")
    asker.get_by_label("需要哪方面的帮助").select_option(label="家电维修")
    asker.get_by_label("一句话说明").fill("洗衣机不脱水")
    asker.get_by_label("周末上午").check()
    asker.get_by_role("button", name="提交需求").click()
    asker.wait_for_url(re.compile(r"/volunteers/help/\d+/$"))
    assert "待接单" in asker.locator("main").inner_text()
    _check(asker, "help-detail-open")

    worker = phone(helper)
    worker.goto("/volunteers/tasks/")
    _check(worker, "volunteer-tasks")
    worker.get_by_role("button", name="我来帮忙").click()
    worker.wait_for_url(re.compile(r"/volunteers/tasks/$"))
    worker.get_by_role("link", name="洗衣机不脱水").click()
    worker.get_by_role("button", name="查看联系方式").click()
    assert "东港路 8 号" in worker.locator("#contact").inner_text()
    _check(worker, "help-detail-volunteer")
    worker.get_by_label("做了什么（可不填）").fill("换了排水泵")
    worker.get_by_role("button", name="已完成").click()

    asker.reload()
    assert "已完成待确认" in asker.locator("main").inner_text()
    asker.get_by_label("非常满意").check()
    asker.get_by_role("button", name="确认已帮忙").click()
    asker.wait_for_load_state()
    assert HelpRequest.objects.get().status == "confirmed"
    assert "已确认" in asker.locator("main").inner_text()
    asker.context.close()
    worker.context.close()


def test_hours_shifts_and_the_certificate_check_page_on_a_phone(narrow_page, live_server, staff):
    """The volunteer's hours page, the shifts page and the public check page of a certificate,
    at 360 px and in large text, with nothing serious for axe-core."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    from events.choices import EventKind
    from tests.factories.events import event_create
    from volunteers import services

    skills = skills_standard()
    community = CommunityFactory(name="东港社区")
    helper = UserFactory(name="李师傅", phone="+8615800000002", phone_verified=True)
    volunteer = volunteer_approved(
        helper, staff=staff, skills=[skills["repair"]], communities=[community]
    )
    day = timezone.localdate() - timedelta(days=3)
    start = timezone.make_aware(datetime(day.year, day.month, day.day, 9))
    entry = services.hours_log(
        actor=staff,
        volunteer_id=volunteer.pk,
        started_at=start,
        ended_at=start + timedelta(hours=2),
        description="侨之家值班",
    )
    services.hours_confirm(actor=staff, entry_id=entry.pk)
    certificate = services.certificate_issue(
        actor=staff, volunteer_id=volunteer.pk, period_start=day, period_end=timezone.localdate()
    )
    clinic = event_create(kind=EventKind.VOLUNTEER, capacity=6, party_size_max=1, title="每月义诊")
    services.shift_slots_set(actor=staff, event_id=clinic.pk, places={skills["repair"].pk: 3})

    from wagtail.models import Site

    from volunteers.pages import VolunteerTeamPage

    team = VolunteerTeamPage(title="侨之爱义工服务队", slug="volunteers", intro="<p>欢迎</p>")
    Site.objects.get(is_default_site=True).root_page.add_child(instance=team)
    team.save_revision().publish()

    page = narrow_page
    page.goto("/volunteers/")
    assert "家电维修" in page.locator("main").inner_text()
    _check(page, "volunteer-team-page")
    page.goto(f"/volunteers/verify/{certificate.serial}/")
    assert "真实有效" in page.locator("main").inner_text()
    _check(page, "certificate-verify")
    page.goto("/volunteers/verify/QXZ2000-0404/")
    assert "查无此证明" in page.locator("main").inner_text()
    _check(page, "certificate-verify-unknown")

    _logged_in(page.context, live_server, helper)
    page.goto("/volunteers/hours/")
    assert "2 小时" in page.locator("main").inner_text()
    _check(page, "volunteer-hours")
    page.goto(f"/volunteers/shifts/{clinic.pk}/")
    page.get_by_role("button", name="报名这个岗位").click()
    page.wait_for_load_state()
    assert "已报名“家电维修”岗位" in page.locator("main").inner_text()
    _check(page, "volunteer-shift")
