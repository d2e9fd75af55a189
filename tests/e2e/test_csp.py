"""The Content-Security-Policy in the browser: the public site and the admin screens our staff
use raise no violation and no console error, and still work (menus open, the date picker,
inline panel and image chooser start, the check-in page's script runs).

Violations are reported by the page itself (``securitypolicyviolation`` events, in every frame)
to the test through a binding, so none is lost when the page navigates.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from events.models import Signup
from tests.e2e.conftest import PHONE
from tests.factories.events import event_create
from tests.households.conftest import world  # noqa: F401 (the register's households)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation({
    page: document.location.pathname, directive: e.violatedDirective, blocked: e.blockedURI,
    source: e.sourceFile, line: e.lineNumber, sample: e.sample,
  });
});
"""


class Watch:
    """What the browser complained about while a test used it."""

    def __init__(self):
        self.violations: list[dict] = []
        self.errors: list[str] = []

    def attach(self, context):
        context.expose_binding(
            "__cspViolation", lambda _source, report: self.violations.append(report)
        )
        context.add_init_script(REPORT_VIOLATIONS)
        return context

    def page(self, context):
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on(
            "console",
            lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        return page

    def assert_clean(self):
        assert self.violations == []
        assert self.errors == []


def _context(browser, live_server, user=None, **options):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
    if user is not None:
        client = Client()
        client.force_login(user)  # with the second factor passed (tests/conftest.py)
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    return context


def _open(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    # directives in any order (the header's order is not fixed): scripts from the site only
    directives = [d.strip() for d in response.headers["content-security-policy"].split(";")]
    assert "script-src 'self'" in directives, url
    page.wait_for_load_state("networkidle")


def _all_widgets_started(page) -> None:
    pending = page.locator('[data-controller~="qx-init"]:not([data-qx-init-done])')
    assert pending.count() == 0
    assert page.locator("[data-qx-init-done]").count() > 0


def test_public_pages_pass_the_policy(browser, live_server, relative):
    event = event_create(title="中秋联欢晚会")
    Signup.objects.create(event=event, user=relative, name="王秀英", status="confirmed")

    watch = Watch()
    anonymous = watch.attach(_context(browser, live_server, viewport=PHONE, is_mobile=True))
    page = watch.page(anonymous)
    for url in ["/", "/events/", event.url, "/accounts/login/", "/accounts/signup/"]:
        _open(page, url)
    assert page.get_by_label("手机号码").is_visible()  # the sign-up form, in the site's look
    colour = page.evaluate("getComputedStyle(document.querySelector('.site-header')).color")
    assert colour  # the stylesheet applied

    signed_in = watch.attach(_context(browser, live_server, relative, viewport=PHONE))
    page = watch.page(signed_in)
    _open(page, "/me/")
    _open(page, "/me/events/")
    assert page.locator("figure.qr svg").is_visible()  # the QR code (inline SVG)
    _open(page, event.url)
    assert "报名成功" in page.locator("main").inner_text()

    watch.assert_clean()
    anonymous.close()
    signed_in.close()


def test_admin_screens_staff_use_pass_the_policy(browser, live_server, staff, world):  # noqa: F811
    event = event_create(title="重阳敬老活动")
    arriving = Signup.objects.create(
        event=event, name="李桂兰", phone="+8613812345670", status="confirmed", party_size=1
    )
    watch = Watch()
    context = watch.attach(
        _context(browser, live_server, staff, viewport={"width": 1280, "height": 900})
    )
    page = watch.page(context)

    # admin home: the sidebar's register menu opens its submenu
    _open(page, "/admin/")
    page.locator("#wagtail-sidebar").get_by_role("button", name="侨户名册").click()
    sidebar = page.locator("#wagtail-sidebar")
    assert sidebar.get_by_role("link", name="侨户", exact=True).is_visible()

    # page explorer: the page's action dropdown opens
    _open(page, f"/admin/pages/{event.get_parent().pk}/")
    assert page.get_by_role("link", name=re.compile("重阳敬老活动")).first.is_visible()
    header_menu = page.locator("#w-slim-header-buttons [data-controller~='w-dropdown']")
    header_menu.locator("[data-w-dropdown-target='toggle']").click()
    assert header_menu.get_by_role("link", name="编辑").is_visible()

    # page editor: every widget started; the date picker, inline panel and image chooser work
    _open(page, f"/admin/pages/{event.pk}/edit/")
    _all_widgets_started(page)
    page.locator("#id_starts_at").click()
    page.locator(".xdsoft_datetimepicker").filter(visible=True).first.wait_for()
    page.keyboard.press("Escape")
    page.locator("#id_title").click()
    questions = page.locator("#id_questions-FORMS > [data-inline-panel-child]:visible")
    before = questions.count()
    page.locator("#id_questions-ADD").click()
    assert questions.count() == before + 1
    _all_widgets_started(page)
    page.locator("[data-chooser-action-choose]:visible").first.click()
    page.get_by_role("dialog").get_by_role("heading", name=re.compile("图片")).first.wait_for()
    page.keyboard.press("Escape")

    # the home page's editor: the StreamField (telepath) and the preview panel, whose frame is
    # our public page under the same policy (frame-ancestors 'self' for the preview only)
    home = event.get_parent().get_parent()
    _open(page, f"/admin/pages/{home.pk}/edit/")
    _all_widgets_started(page)
    page.locator('[data-side-panel-toggle="preview"]').click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.locator(".site-header")).to_be_visible()

    # the register: household list and record, and the import page
    _open(page, "/admin/register/households/")
    assert page.get_by_role("link", name=re.compile("陈家豪")).first.is_visible()
    _open(page, f"/admin/register/households/inspect/{world.hA1.pk}/")
    assert "陈家豪" in page.locator("main").inner_text()
    _open(page, "/admin/register/import/")
    assert page.locator("input[type=file]").count() == 1

    # lists, reports and libraries (date filters, bulk actions)
    for url in [
        "/admin/register/members/",
        "/admin/register/access-log/",
        "/admin/register/stats/",
        "/admin/images/",
        "/admin/documents/",
        "/admin/events/report/",
    ]:
        _open(page, url)
    for report in ["/admin/reports/site-history/", "/admin/reports/workflow/"]:
        _open(page, report)
        _all_widgets_started(page)  # the date filters' pickers

    # events: the staff overview, and the check-in page's script answers a typed code
    _open(page, "/admin/events/")
    assert "重阳敬老活动" in page.locator("main").inner_text()
    _open(page, f"/admin/events/checkin/{event.pk}/")
    page.locator("[data-code-form] input[name=q]").fill(arriving.code)
    page.locator("[data-code-form] [type=submit]").click()
    # (a locator, not wait_for_function: Playwright evaluates that string, which the policy
    # refuses as eval)
    expect(page.locator("[data-scan-result]")).to_contain_text("李桂兰")

    watch.assert_clean()
    context.close()
    arriving.refresh_from_db()
    assert arriving.checked_in_at is not None
