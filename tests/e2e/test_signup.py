import re

import pytest

from accounts import sms
from accounts.models import User
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_visitor_signs_up_with_a_phone_number_and_logs_in(phone_page):
    page = phone_page
    page.goto("/")
    page.get_by_role("link", name="注册", exact=True).click()
    page.get_by_label("姓名").fill("孙婆婆")
    page.get_by_label("手机号码").fill("13612345678")
    page.locator("#id_password1").fill("Qx-secret-9981")
    page.locator("#id_password2").fill("Qx-secret-9981")
    screenshot(page, "signup-phone")
    page.get_by_role("button", name="注册").click()

    page.wait_for_url(re.compile(r"/accounts/phone/verify/$"))
    assert sms.outbox and sms.outbox[-1].phone == "+8613612345678"
    code = re.search(r"验证码是 (\d{6})", sms.outbox[-1].text).group(1)
    assert "验证码已发送到 13612345678" in page.locator("main").inner_text()
    cancel = page.get_by_role("button", name="取消")
    assert cancel.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(255, 255, 255)"
    screenshot(page, "verify-phone")
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="确认").click()

    page.wait_for_url(re.compile(r"/me/$"))
    assert "孙婆婆" in page.locator("h1").inner_text()
    assert User.objects.get(phone="+8613612345678").phone_verified
    screenshot(page, "me-after-signup")

    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()
    page.goto("/accounts/login/")
    page.locator("#id_login").fill("13612345678")
    page.locator("#id_password").fill("Qx-secret-9981")
    page.locator("form.account-form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/me/$"))
    assert "孙婆婆" in page.locator("h1").inner_text()
