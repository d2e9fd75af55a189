"""The second factor (allauth.mfa TOTP + recovery codes) for staff, admins and every role that
may unmask numbers: set up on first login, asked at every login, never asked of relatives."""

from __future__ import annotations

import re

import pytest
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.test import Client

from accounts.roles import Role
from households.models import Responsibility
from households.services import responsibility_assign
from tests.conftest import PASSWORD
from tests.factories import UserFactory, totp_code, with_totp
from tests.factories.households import GridGroupFactory

pytestmark = pytest.mark.django_db

SETUP_URL = "/accounts/2fa/totp/activate/"
AUTHENTICATE_URL = "/accounts/2fa/authenticate/"


def _without_totp(roles, role: str):
    """A user of ``role`` who has not set up an authenticator yet."""
    user = UserFactory()
    if role == "admin":
        user.is_staff = user.is_superuser = True
    elif role == Role.STAFF:
        user.is_staff = True
    if role in roles:
        user.groups.add(roles[role])
    user.save()
    return user


def _login_with_password(client: Client, user, password: str = PASSWORD):
    return client.post(
        "/accounts/login/", {"login": user.phone.removeprefix("+86"), "password": password}
    )


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- (1) who is sent to set it up ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, "admin", Role.CADRE, Role.GROUP_LEADER])
@pytest.mark.parametrize("url", ["/admin/", "/admin/pages/", "/me/", "/", "/me/household/"])
def test_who_must_use_mfa_is_sent_to_set_it_up_from_every_page(roles, role, url):
    client = Client()
    client.force_login(_without_totp(roles, role))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == SETUP_URL


@pytest.mark.parametrize("persona", ["relative", "volunteer", "committee_member"])
def test_relatives_and_roles_that_cannot_unmask_are_never_asked(client_for, persona):
    client = client_for(persona)
    for url in ("/me/", "/me/household/", "/"):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert SETUP_URL not in response.get("Location", "")
    assert not Authenticator.objects.exists()


def test_personas_with_an_authenticator_reach_the_admin(client_for):
    for persona in ("staff", "admin"):
        assert client_for(persona).get("/admin/").status_code == 200


def test_setup_pages_logout_and_health_check_stay_open_during_setup(roles):
    client = Client()
    client.force_login(_without_totp(roles, Role.STAFF))
    assert client.get("/healthz").status_code == 200
    # the activation page asks for the password first (allauth's reauthentication), no loop
    response = client.get(SETUP_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert client.get(response["Location"]).status_code == 200
    assert client.get("/accounts/2fa/").status_code == 200
    client.post("/accounts/logout/")
    assert not _logged_in(client)


def test_a_user_given_a_responsibility_is_sent_to_set_up_on_the_next_request(client_for, relative):
    client = client_for("relative")
    assert client.get("/me/").status_code == 200
    responsibility_assign(
        user=relative, level=Responsibility.Level.GROUP_LEADER, grid_group=GridGroupFactory()
    )
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"] == SETUP_URL


def test_a_login_made_past_allauth_does_not_open_the_admin(staff):
    """Django's own login (as Wagtail's login view does it) skips allauth's code step: such
    a session is logged out and sent to the login, for the admin and the public site alike."""
    for url in ("/admin/", "/me/"):
        client = Client()
        assert client.login(phone=staff.phone, password=PASSWORD)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
        assert not _logged_in(client)


# --- first login: setup ----------------------------------------------------------------------


def test_first_login_binds_the_authenticator_then_shows_the_recovery_codes(roles):
    user = _without_totp(roles, Role.STAFF)
    client = Client()
    response = _login_with_password(client, user)
    assert response.status_code == 302
    assert client.get("/admin/")["Location"] == SETUP_URL

    # allauth asks for the password again before binding
    response = client.get(SETUP_URL)
    reauthenticate = response["Location"]
    response = client.post(reauthenticate, {"password": PASSWORD})
    assert response.status_code == 302

    page = client.get(SETUP_URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert "为保护侨户个人信息，工作人员需要绑定身份验证器" in html
    # the QR code is drawn here, as an inline SVG image: nothing is fetched from outside
    (src,) = re.findall(r'<img src="([^"]+)" alt="绑定身份验证器的二维码"', html)
    assert src.startswith("data:image/svg+xml;base64,")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script (strict CSP)"
    secret = client.session[SECRET_SESSION_KEY]
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert grouped in html  # for typing it in by hand

    wrong = client.post(SETUP_URL, {"code": "000000" if totp_code(secret) != "000000" else "1"})
    assert wrong.status_code == 200
    assert "动态码不对。请输入应用里“侨心”下面现在显示的6位数字。" in wrong.content.decode()
    assert not Authenticator.objects.filter(user=user).exists()

    response = client.post(SETUP_URL, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    codes_page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>(\d+)</code></li>", codes_page)
    assert len(codes) == 10
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    # the session that just bound it goes on, into the admin
    assert client.get("/admin/").status_code == 200


def test_the_qr_code_names_the_issuer_qiaoxin(rf, staff):
    from allauth.mfa.adapter import get_adapter

    url = get_adapter().build_totp_url(staff, "JBSWY3DPEHPK3PXP")
    assert url.startswith("otpauth://totp/")
    assert "issuer=%E4%BE%A8%E5%BF%83" in url  # 侨心


# --- (2) every login asks for the code ---------------------------------------------------------


def test_staff_login_asks_for_the_code_and_refuses_a_wrong_one_in_chinese(client, staff):
    response = _login_with_password(client, staff)
    assert response.status_code == 302
    assert response["Location"] == AUTHENTICATE_URL
    assert not _logged_in(client)
    assert client.get("/admin/").status_code == 302  # not in yet

    page = client.get(AUTHENTICATE_URL).content.decode()
    assert "输入动态码" in page

    wrong = "000000" if totp_code() != "000000" else "111111"
    response = client.post(AUTHENTICATE_URL, {"code": wrong})
    assert response.status_code == 200
    assert "动态码不对" in response.content.decode()
    assert not _logged_in(client)

    response = client.post(AUTHENTICATE_URL, {"code": totp_code()})
    assert response.status_code == 302
    assert _logged_in(client)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("persona", ["cadre", "group_leader", "admin"])
def test_every_role_that_may_unmask_is_asked_for_the_code(client, persona, request):
    user = request.getfixturevalue(persona)
    response = _login_with_password(client, user)
    assert response["Location"] == AUTHENTICATE_URL
    assert not _logged_in(client)


def test_relatives_log_in_with_the_password_alone(client, relative):
    response = _login_with_password(client, relative)
    assert response.status_code == 302
    assert response["Location"] != AUTHENTICATE_URL
    assert _logged_in(client)
    assert client.get("/me/").status_code == 200


def test_a_recovery_code_works_once(staff):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    rc = RecoveryCodes(Authenticator.objects.get(user=staff, type="recovery_codes"))
    code = rc.get_unused_codes()[0]

    first = Client()
    _login_with_password(first, staff)
    response = first.post(AUTHENTICATE_URL, {"code": code})
    assert response.status_code == 302
    assert _logged_in(first)
    assert first.get("/admin/").status_code == 200

    second = Client()
    _login_with_password(second, staff)
    response = second.post(AUTHENTICATE_URL, {"code": code})
    assert response.status_code == 200
    assert "动态码不对" in response.content.decode()
    assert not _logged_in(second)


def test_a_code_cannot_be_used_twice(staff):
    code = totp_code()
    first = Client()
    _login_with_password(first, staff)
    assert first.post(AUTHENTICATE_URL, {"code": code}).status_code == 302
    second = Client()
    _login_with_password(second, staff)
    assert second.post(AUTHENTICATE_URL, {"code": code}).status_code == 200
    assert not _logged_in(second)


# --- (4) wrong codes are rate limited ----------------------------------------------------------


def test_wrong_codes_are_rate_limited_per_account(client, staff):
    _login_with_password(client, staff)
    right = totp_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        response = client.post(AUTHENTICATE_URL, {"code": wrong})
        assert "动态码不对" in response.content.decode()
    # now even the right code is refused for a while, with a message saying why
    response = client.post(AUTHENTICATE_URL, {"code": right})
    assert response.status_code in (200, 429)
    too_many = str(get_account_adapter().error_messages["too_many_login_attempts"])
    assert too_many in response.content.decode()
    assert not _logged_in(client)
    # from another browser too: the limit is the account's, not the session's
    other = Client()
    _login_with_password(other, staff)
    assert not _logged_in(other)
    other.post(AUTHENTICATE_URL, {"code": right})
    assert not _logged_in(other)


def test_a_new_user_made_staff_gets_the_helper_authenticator(roles):
    """The test helper used across the suite: a staff user with ``with_totp`` goes in."""
    user = with_totp(_without_totp(roles, Role.STAFF))
    client = Client()
    client.force_login(user)
    assert client.get("/admin/").status_code == 200


def test_an_unverified_email_is_verified_first_and_its_pages_stay_open(roles):
    """allauth binds no authenticator while an email address is unverified (someone who
    signed up with another's address could lock them out): the user is told so, in Chinese,
    and the email pages stay open for them."""
    from allauth.account.models import EmailAddress

    user = _without_totp(roles, Role.STAFF)
    EmailAddress.objects.create(user=user, email="new@example.com", verified=False, primary=True)
    client = Client()
    client.force_login(user)
    response = client.get(SETUP_URL, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/"
    assert "请先验证您的电子邮箱，再绑定身份验证器。" in response.content.decode()
    assert client.get("/accounts/email/").status_code == 200
    assert client.get("/admin/")["Location"] == SETUP_URL


def test_unbinding_sends_the_user_straight_back_to_bind_a_new_phone(client_for, staff):
    client = client_for("staff")
    # allauth asks for the code again before unbinding
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/2fa/reauthenticate/", {"code": totp_code()})
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=staff).exists()
    assert client.get("/admin/")["Location"] == SETUP_URL


def test_the_second_factor_pages_are_in_chinese(client_for):
    client = client_for("staff")
    html = client.get("/accounts/2fa/").content.decode()
    assert "身份验证器" in html and "恢复码" in html
    assert "Two-Factor" not in html and "Authenticator" not in html


def test_a_login_by_sms_code_asks_for_the_second_factor_too(client, staff):
    from accounts import sms

    response = client.post("/accounts/login/code/", {"phone": staff.phone.removeprefix("+86")})
    code = re.search(r"验证码是 (\d{6})", sms.outbox[-1].text).group(1)
    response = client.post(response["Location"], {"code": code})
    assert response["Location"] == AUTHENTICATE_URL
    assert not _logged_in(client)
    client.post(AUTHENTICATE_URL, {"code": totp_code()})
    assert client.get("/admin/").status_code == 200
