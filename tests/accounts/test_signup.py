"""Sign-up and login by mobile number with an SMS code, or by email."""

import re
import time

import pytest
from django.core import mail

from accounts import sms
from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Qx-secret-9981"


def last_code() -> str:
    assert sms.outbox, "no SMS was sent"
    return re.search(r"验证码是 (\d{6})", sms.outbox[-1].text).group(1)


def sign_up(client, **fields):
    data = {"name": "赵大爷", "phone": "13812345678", "password1": PASSWORD, "password2": PASSWORD}
    data.update(fields)
    return client.post("/accounts/signup/", data)


def test_phone_sign_up_sends_a_code_and_verifying_logs_in(
    client, django_capture_on_commit_callbacks
):
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    assert sms.outbox[0].phone == "+8613812345678"
    assert "分钟内有效" in sms.outbox[0].text

    page = client.get("/accounts/phone/verify/").content.decode()
    assert "输入短信验证码" in page
    assert "验证码已发送到 13812345678" in page  # the number as the person typed it
    assert "+8613812345678" not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/phone/verify/", {"code": last_code()})
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    user = User.objects.get(phone="+8613812345678")
    assert user.name == "赵大爷"
    assert user.phone_verified
    me = client.get("/me/")
    assert me.status_code == 200
    assert "138****5678" in me.content.decode()
    assert "以 赵大爷 成功登录" in me.content.decode()


def test_sign_up_enqueues_the_welcome_message_after_commit(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sign_up(client)
    # the verification code went out at once; the welcome waits for the commit
    assert len(sms.outbox) == 1
    assert callbacks, "the welcome job must be enqueued on commit"


def test_wrong_code_is_refused_in_chinese_and_keeps_what_was_typed(client):
    sign_up(client)
    response = client.post("/accounts/phone/verify/", {"code": "000000"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "验证码不正确" in html
    assert 'value="000000"' in html
    assert not User.objects.get(phone="+8613812345678").phone_verified


def test_too_many_wrong_codes_ends_the_attempt_with_a_message(client):
    sign_up(client)
    for _ in range(2):
        assert client.post("/accounts/phone/verify/", {"code": "000000"}).status_code == 200
    response = client.post("/accounts/phone/verify/", {"code": "000000"}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[0][1] == 302
    assert "尝试次数太多" in html
    assert not User.objects.get(phone="+8613812345678").phone_verified
    # the right code no longer helps: the attempt is over
    client.post("/accounts/phone/verify/", {"code": last_code()})
    assert not User.objects.get(phone="+8613812345678").phone_verified


def test_expired_code_says_so(client, settings, monkeypatch):
    sign_up(client)
    code = last_code()
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 11 * 60)
    response = client.post("/accounts/phone/verify/", {"code": code}, follow=True)
    assert "验证码已过期" in response.content.decode()
    assert not User.objects.get(phone="+8613812345678").phone_verified


def test_rejected_sign_up_form_comes_back_filled_in(client):
    response = sign_up(client, phone="1381234", email="zhao@example.com")
    html = response.content.decode()
    assert response.status_code == 200
    assert "请输入有效的手机号码" in html
    assert 'value="赵大爷"' in html
    assert 'value="1381234"' in html
    assert 'value="zhao@example.com"' in html
    assert not User.objects.exists()


def test_sign_up_needs_a_phone_or_an_email(client):
    response = sign_up(client, phone="", email="")
    assert "请填写手机号码或电子邮箱" in response.content.decode()
    assert not User.objects.exists()


def test_a_phone_number_can_register_only_once(client, relative):
    """To keep numbers from being probed, the form does not say the number is taken: the
    owner of the number gets a text message instead (allauth's enumeration prevention)."""
    response = sign_up(client, phone=relative.phone.removeprefix("+86"))
    assert response.status_code == 302
    assert User.objects.count() == 1
    assert sms.outbox[-1].phone == relative.phone
    assert "已经注册过" in sms.outbox[-1].text


def test_overseas_number_with_country_code(client):
    response = sign_up(client, phone="+852 6123 4567")
    assert response.status_code == 302
    assert User.objects.get().phone == "+85261234567"
    assert sms.outbox[-1].phone == "+85261234567"


def test_email_sign_up_without_phone(client):
    response = sign_up(client, phone="", email="zhao@example.com")
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "zhao@example.com"
    assert user.phone is None
    assert mail.outbox, "a confirmation email is sent"


def test_login_by_phone_in_national_format_with_password(client, relative):
    response = client.post(
        "/accounts/login/",
        {"login": relative.phone.removeprefix("+86"), "password": "correct-horse-42"},
    )
    assert response.status_code == 302
    assert client.get("/me/").status_code == 200


def test_login_with_wrong_password_says_so_in_chinese(client, relative):
    response = client.post(
        "/accounts/login/", {"login": relative.phone.removeprefix("+86"), "password": "nope"}
    )
    html = response.content.decode()
    assert "手机号码或密码不正确" in html
    assert f'value="{relative.phone.removeprefix("+86")}"' in html


def test_login_by_sms_code(client, relative):
    response = client.post("/accounts/login/code/", {"phone": relative.phone.removeprefix("+86")})
    assert response.status_code == 302
    assert sms.outbox[-1].phone == relative.phone
    response = client.post(response["Location"], {"code": last_code()})
    assert response.status_code == 302
    assert client.get("/me/").status_code == 200


def test_login_by_email(client, relative):
    relative.email = "wang@example.com"
    relative.save()
    response = client.post(
        "/accounts/login/", {"login": "wang@example.com", "password": "correct-horse-42"}
    )
    assert response.status_code == 302


def test_password_reset_by_email_sends_a_code(client, relative):
    relative.email = "wang@example.com"
    relative.save()
    response = client.post("/accounts/password/reset/", {"email": "wang@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1


def test_forgotten_password_by_phone_code_then_new_password(client, relative):
    login_page = client.get("/accounts/login/").content.decode()
    assert "用短信验证码登录并设置新密码" in login_page
    response = client.post(
        "/accounts/login/code/?next=/me/password/", {"phone": relative.phone.removeprefix("+86")}
    )
    response = client.post(response["Location"], {"code": last_code()})
    assert response.status_code == 302
    assert response["Location"] == "/me/password/"
    page = client.get("/me/password/").content.decode()
    assert "不需要输入旧密码" in page

    response = client.post(
        "/me/password/", {"new_password1": "Xin-mima-2026", "new_password2": "Xin-mima-2027"}
    )
    assert response.status_code == 200  # mismatch: the form comes back with the error
    response = client.post(
        "/me/password/", {"new_password1": "Xin-mima-2026", "new_password2": "Xin-mima-2026"}
    )
    assert response["Location"] == "/me/"
    assert client.get("/me/").status_code == 200  # still logged in
    relative.refresh_from_db()
    assert relative.check_password("Xin-mima-2026")


def test_new_password_without_the_old_needs_a_recent_code_login(client, relative):
    client.post(
        "/accounts/login/",
        {"login": relative.phone.removeprefix("+86"), "password": "correct-horse-42"},
    )
    response = client.post(
        "/me/password/", {"new_password1": "Xin-mima-2026", "new_password2": "Xin-mima-2026"}
    )
    assert response["Location"] == "/accounts/password/change/"
    relative.refresh_from_db()
    assert relative.check_password("correct-horse-42")
