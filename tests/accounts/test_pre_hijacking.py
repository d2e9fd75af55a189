"""Account pre-hijacking: someone sets up an account with a victim's number or address and a
password of their own; the first proof of ownership made without that password takes the
account over (password voided, what the unproven party added dropped, other sessions ended)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.test import Client

from accounts import sms
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VICTIM_PHONE = "+8613812345678"
ATTACKER_PASSWORD = "Attacker-pass-771"
NEW_PASSWORD = "Xin-mima-2026"


def sms_code() -> str:
    return re.search(r"验证码是 (\d{6})", sms.outbox[-1].text).group(1)


def mail_code() -> str:
    return re.search(r"^\s*(\d{6})\s*$", mail.outbox[-1].body, re.M).group(1)


def logged_in(client) -> bool:
    return client.get("/me/").status_code == 200


def attacker_signs_up(client, **fields) -> User:
    data = {"name": "假冒", "phone": VICTIM_PHONE.removeprefix("+86"),
            "password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD}  # fmt: skip
    data.update(fields)
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 302
    return User.objects.get()


def login_by_sms_code(client, phone: str):
    response = client.post("/accounts/login/code/", {"phone": phone})
    return client.post(response["Location"], {"code": sms_code()})


def test_victim_logging_in_by_code_takes_the_account_from_the_attacker(
    roles, django_capture_on_commit_callbacks
):
    attacker = Client()
    user = attacker_signs_up(attacker, email="attacker@example.com")
    assert not user.phone_verified
    mail.outbox.clear()
    # a session the attacker had (however they got it) must end too
    old_session = Client()
    old_session.force_login(user)

    victim = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = login_by_sms_code(victim, VICTIM_PHONE.removeprefix("+86"))
    assert response.status_code == 302
    assert response["Location"] == "/me/password/", "led to set a password of their own"
    page = victim.get("/me/password/", follow=True).content.decode()
    assert "之前设置的密码已经作废" in page

    user.refresh_from_db()
    assert user.phone_verified
    assert not user.has_usable_password()
    assert user.email == ""
    assert not EmailAddress.objects.filter(email="attacker@example.com").exists()
    # the attacker's password no longer opens it, and the old session is over
    again = Client()
    again.post("/accounts/login/", {"login": VICTIM_PHONE, "password": ATTACKER_PASSWORD})
    assert not logged_in(again)
    assert not logged_in(old_session)
    # the victim stays logged in and sets a password without the old one
    assert logged_in(victim)
    response = victim.post(
        "/me/password/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response["Location"] == "/me/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert logged_in(victim)


def test_finishing_ones_own_sign_up_keeps_the_password(roles):
    client = Client()
    user = attacker_signs_up(client, email="zhao@example.com")
    client.post("/accounts/phone/verify/", {"code": sms_code()})
    user.refresh_from_db()
    assert user.phone_verified
    assert user.check_password(ATTACKER_PASSWORD)
    assert EmailAddress.objects.filter(user=user, email="zhao@example.com").exists()


def test_verifying_after_a_password_login_keeps_the_password(roles):
    user = UserFactory(phone_verified=False, email="wang@example.com")
    EmailAddress.objects.create(user=user, email="wang@example.com", verified=False)
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": user.phone, "password": "correct-horse-42"}
    )
    assert response["Location"] == "/accounts/phone/verify/"
    client.post("/accounts/phone/verify/", {"code": sms_code()})
    user.refresh_from_db()
    assert user.phone_verified
    assert user.check_password("correct-horse-42")
    assert EmailAddress.objects.filter(user=user).exists()


def test_a_code_login_on_a_verified_number_changes_nothing(relative):
    client = Client()
    login_by_sms_code(client, relative.phone)
    relative.refresh_from_db()
    assert relative.check_password("correct-horse-42")


def test_victim_resetting_by_email_takes_the_account_from_the_attacker(roles):
    """The symmetric case: the attacker signs up with the victim's address and a number the
    attacker never proves; the victim resets the password with the code mailed to them."""
    attacker = Client()
    attacker.post(
        "/accounts/signup/",
        {"name": "假冒", "phone": "13912345678", "email": "victim@example.com",
         "password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD},
    )  # fmt: skip
    user = User.objects.get()
    old_session = Client()
    old_session.force_login(user)
    mail.outbox.clear()

    victim = Client()
    response = victim.post("/accounts/password/reset/", {"email": "victim@example.com"})
    assert response.status_code == 302
    response = victim.post("/accounts/password/reset/confirm/", {"code": mail_code()})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert user.phone is None, "the number nobody proved is dropped"
    assert not logged_in(old_session)
    response = victim.post(
        "/accounts/password/reset/complete/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.get(user=user).verified
    # the attacker's number logs nobody in any more
    sms.outbox.clear()
    attacker_again = Client()
    attacker_again.post("/accounts/login/code/", {"phone": "13912345678"})
    assert not any("验证码是" in message.text for message in sms.outbox)


def test_victim_logging_in_by_email_code_takes_the_account(roles):
    user = UserFactory(phone=None, phone_verified=False, email="victim@example.com")
    EmailAddress.objects.create(user=user, email="victim@example.com", verified=False)
    EmailAddress.objects.create(user=user, email="attacker@example.com", verified=False)
    victim = Client()
    response = victim.post("/accounts/login/code/", {"email": "victim@example.com"})
    response = victim.post(response["Location"], {"code": mail_code()})
    assert response["Location"] == "/me/password/"
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [
        "victim@example.com"
    ]
    assert logged_in(victim)


# --- a confirmation link on an account someone owns already ---------------------------------
# The attacker signs up with their own phone (and verifies it) and the victim's address. The
# victim's click on the confirmation link must not give them (and so the attacker) one account.

ATTACKER_PHONE = "+8613877770003"


def confirmation_link(address: str) -> str:
    body = next(m.body for m in reversed(mail.outbox) if m.to == [address])
    return re.search(r"http://[^/\s]+(/accounts/confirm-email/\S+/)", body).group(1)


def owned_account_with_victims_address(client, email="victim.b@example.org") -> User:
    client.post(
        "/accounts/signup/",
        {"name": "甲", "phone": ATTACKER_PHONE, "email": email,
         "password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD},
    )  # fmt: skip
    client.post("/accounts/phone/verify/", {"code": sms_code()})
    user = User.objects.get(phone=ATTACKER_PHONE)
    assert user.phone_verified
    return user


def test_victim_confirming_an_owned_accounts_link_releases_the_address(roles):
    attacker = Client()
    user = owned_account_with_victims_address(attacker)
    link = confirmation_link("victim.b@example.org")

    victim = Client()
    victim.get(link)
    response = victim.post(link, follow=True)
    page = response.content.decode()
    assert "现已从那个账户解除" in page
    assert "您已确认" not in page
    assert not logged_in(victim)

    user.refresh_from_db()
    assert not EmailAddress.objects.filter(email__iexact="victim.b@example.org").exists()
    assert user.email == ""
    assert user.check_password(ATTACKER_PASSWORD), "the attacker keeps their own account"
    assert victim.get(link).context["confirmation"] is None, "the link died with the address"
    # the victim's login by email code opens nothing of the attacker's
    mail.outbox.clear()
    response = victim.post("/accounts/login/code/", {"email": "victim.b@example.org"})
    assert not [m for m in mail.outbox if re.search(r"^\s*\d{6}\s*$", m.body, re.M)]
    assert not logged_in(victim)


def test_an_address_added_by_an_owned_account_and_confirmed_elsewhere_is_released(relative):
    owner = Client()
    owner.force_login(relative)
    owner.post("/accounts/email/", {"email": "victim.b@example.org", "action_add": ""})
    assert EmailAddress.objects.filter(user=relative, email="victim.b@example.org").exists()

    Client().post(confirmation_link("victim.b@example.org"))
    assert not EmailAddress.objects.filter(email="victim.b@example.org").exists()
    assert logged_in(owner)


def test_the_account_holder_confirming_while_logged_in_confirms(relative):
    owner = Client()
    owner.force_login(relative)
    owner.post("/accounts/email/", {"email": "wang.b@example.org", "action_add": ""})
    response = owner.post(confirmation_link("wang.b@example.org"))
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=relative, email="wang.b@example.org").verified
    relative.refresh_from_db()
    assert relative.check_password("correct-horse-42")


def test_a_squatted_address_does_not_keep_its_owner_from_signing_up(roles):
    """Until the victim clicks, the address sits unverified on the attacker's owned account;
    the victim's own sign-up with it works, and their proof takes it off the other account."""
    owned_account_with_victims_address(Client())
    cache.clear()  # a few minutes later: one confirmation mail per address per 3 minutes
    victim = Client()
    mail.outbox.clear()
    response = victim.post(
        "/accounts/signup/",
        {"name": "乙", "email": "victim.b@example.org",
         "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )  # fmt: skip
    assert response["Location"] == "/accounts/confirm-email/"
    new = User.objects.get(email="victim.b@example.org", phone=None)
    victim.post(confirmation_link("victim.b@example.org"))

    assert EmailAddress.objects.get(email="victim.b@example.org").user_id == new.pk
    assert EmailAddress.objects.get(email="victim.b@example.org").verified
    assert User.objects.get(phone=ATTACKER_PHONE).email == ""
    assert logged_in(victim)


@pytest.mark.usefixtures("eager_jobs")  # the welcome job's text, also when a broker is set
def test_a_claim_forgets_the_name_the_attacker_typed(roles, django_capture_on_commit_callbacks):
    """The welcome after a claim goes to the victim: no attacker-written words in it."""
    attacker_signs_up(Client(), name="攻击者")
    victim = Client()
    with django_capture_on_commit_callbacks(execute=True):
        login_by_sms_code(victim, VICTIM_PHONE.removeprefix("+86"))
    user = User.objects.get()
    assert user.name == ""
    assert user.display_name == "138****5678"
    welcome = [m.text for m in sms.outbox if "欢迎加入侨心" in m.text]
    assert welcome == ["【侨心】您好，欢迎加入侨心！报名活动、加入义工队都可以在网站上办理。"]
    assert not any("攻击者" in m.text for m in sms.outbox)
    assert "攻击者" not in victim.get("/me/").content.decode()
