"""Rate limits (allauth, on the shared cache): they guard the Wagtail admin login too, since
its own form redirects to this one."""

import pytest

pytestmark = pytest.mark.django_db


def test_repeated_wrong_passwords_lock_the_login_for_that_number(client, relative):
    login = relative.phone.removeprefix("+86")
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": login, "password": "wrong"})
        assert "手机号码或密码不正确" in response.content.decode()
    # now even the right password is refused for a while, with a message saying why
    response = client.post("/accounts/login/", {"login": login, "password": "correct-horse-42"})
    assert "尝试次数太多" in response.content.decode()
    assert client.get("/me/").status_code == 302


def test_sms_codes_cannot_be_requested_over_and_over(client, relative):
    from accounts import sms

    login = relative.phone.removeprefix("+86")
    statuses = []
    for _ in range(5):
        client.cookies.clear()
        statuses.append(client.post("/accounts/login/code/", {"phone": login}).status_code)
    assert len(sms.outbox) == 3, "three codes a minute for one number"
    assert statuses[-1] in (200, 429)


def test_too_many_sign_ups_from_one_address_get_a_chinese_429(client):
    response = None
    for n in range(21):
        response = client.post(
            "/accounts/signup/",
            {"name": "甲", "phone": f"1371234{n:04d}", "password1": "x", "password2": "y"},
        )
    assert response.status_code == 429
    assert "操作太频繁了" in response.content.decode()
