"""Who owns an account: whoever proved one of its identifiers first.

A number or address nobody verified opens an account by code (login code, password-reset
code) only while nobody owns the account yet; then the code is the first proof and takes the
account over (accounts.ownership). Once someone owns it, an identifier they never verified is
as good as unknown: nothing is sent to it, and the browser sees what it sees for an unknown one.
A confirmation link followed in a browser that did not make the account is such a first proof
too."""

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

PASSWORD = "correct-horse-42"
ATTACKER_PASSWORD = "Attacker-pass-771"
NEW_PASSWORD = "Xin-mima-2026"


def logged_in(client) -> bool:
    return client.get("/me/").status_code == 200


def codes_mailed_to(address: str) -> list[str]:
    return [
        code
        for message in mail.outbox
        if message.to == [address]
        for code in re.findall(r"^\s*(\d{6})\s*$", message.body, re.M)
    ]


def sms_codes_to(phone: str) -> list[str]:
    return [
        m.group(1)
        for message in sms.outbox
        if message.phone == phone and (m := re.search(r"验证码是 (\d{6})", message.text))
    ]


def confirmation_link(address: str) -> str:
    body = next(m.body for m in reversed(mail.outbox) if m.to == [address])
    return re.search(r"http://[^/\s]+(/accounts/confirm-email/\S+/)", body).group(1)


def seen(client, response) -> tuple:
    """What the browser sees: status, where it leads and the page there (token taken out)."""
    location = response.get("Location")
    page = client.get(location).content.decode() if response.status_code == 302 else ""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return response.status_code, location, page


@pytest.fixture
def phone_owned_with_typed_address(roles):
    """A phone-verified account that holds an address nobody verified (typed in at sign-up,
    or added later): the address's owner must not be able to open it."""
    user = UserFactory(email="stranger@example.com")
    EmailAddress.objects.create(user=user, email="stranger@example.com", verified=False)
    return user


# --- 1. reset and login code to an address nobody verified ------------------------------------


def test_no_reset_code_goes_to_an_unverified_address_of_an_owned_account(
    phone_owned_with_typed_address,
):
    user = phone_owned_with_typed_address
    client, control = Client(), Client()
    response = client.post("/accounts/password/reset/", {"email": "stranger@example.com"})
    unknown = control.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert codes_mailed_to("stranger@example.com") == []
    strip = lambda s: s.replace("stranger@example.com", "X").replace("nobody@example.com", "X")  # noqa: E731
    assert [strip(str(part)) for part in seen(client, response)] == [
        strip(str(part)) for part in seen(control, unknown)
    ], "the browser cannot tell the address is on an account"
    # guessing the code gets nowhere: there is none
    client.post("/accounts/password/reset/confirm/", {"code": "000000"})
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.filter(user=user, verified=False).exists()


def test_no_login_code_goes_to_an_unverified_address_of_an_owned_account(
    phone_owned_with_typed_address,
):
    client, control = Client(), Client()
    response = client.post("/accounts/login/code/", {"email": "stranger@example.com"})
    unknown = control.post("/accounts/login/code/", {"email": "nobody@example.com"})
    assert codes_mailed_to("stranger@example.com") == []
    assert response.status_code == unknown.status_code == 302
    assert response["Location"] == unknown["Location"]
    response = client.post(response["Location"], {"code": "000000"})
    assert not logged_in(client)


def test_a_verified_address_of_an_owned_account_still_gets_its_reset_code(roles):
    user = UserFactory(email="wang@example.com")
    EmailAddress.objects.create(user=user, email="wang@example.com", verified=True)
    client = Client()
    client.post("/accounts/password/reset/", {"email": "WANG@example.com"})
    (code,) = codes_mailed_to("wang@example.com")
    client.post("/accounts/password/reset/confirm/", {"code": code})
    client.post(
        "/accounts/password/reset/complete/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.phone_verified, "a reset by the owner's own address is no claim"


def test_an_email_only_account_nobody_proved_is_reset_by_its_address(roles):
    """The address is the account's only way in: the reset code is its first proof."""
    user = UserFactory(phone=None, phone_verified=False, email="zhao@example.com")
    EmailAddress.objects.create(user=user, email="zhao@example.com", verified=False)
    client = Client()
    client.post("/accounts/password/reset/", {"email": "zhao@example.com"})
    (code,) = codes_mailed_to("zhao@example.com")
    client.post("/accounts/password/reset/confirm/", {"code": code})
    user.refresh_from_db()
    assert not user.has_usable_password(), "claimed: the password nobody proved is void"
    client.post(
        "/accounts/password/reset/complete/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.get(user=user).verified


# --- 3. an owned account: another identifier's code is no way in, and no claim -----------------


@pytest.fixture
def email_owned_with_typed_phone(roles):
    """The owner verified the address; the number was typed in and never verified."""
    user = UserFactory(phone="+8613712345678", phone_verified=False, email="li@example.com")
    EmailAddress.objects.create(user=user, email="li@example.com", verified=True)
    return user


def test_no_sms_code_goes_to_an_unverified_number_of_an_owned_account(
    email_owned_with_typed_phone,
):
    client = Client()
    response = client.post("/accounts/login/code/", {"phone": "13712345678"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/code/confirm/")
    assert sms_codes_to("+8613712345678") == []
    client.post(response["Location"], {"code": "000000"})
    assert not logged_in(client)
    user = email_owned_with_typed_phone
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not user.phone_verified


def test_a_code_sent_before_the_account_was_owned_no_longer_opens_it(roles):
    """Race: the code went out while nobody owned the account; by the time it is typed in,
    the address's owner has proven it. The code is refused, nothing changes."""
    user = UserFactory(phone="+8613712345678", phone_verified=False, email="li@example.com")
    address = EmailAddress.objects.create(user=user, email="li@example.com", verified=False)
    client = Client()
    response = client.post("/accounts/login/code/", {"phone": "13712345678"})
    (code,) = sms_codes_to("+8613712345678")
    address.verified = True
    address.save()

    response = client.post(response["Location"], {"code": code})
    assert response.status_code == 200
    assert "验证码已经失效" in response.content.decode()
    assert not logged_in(client)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not user.phone_verified
    assert EmailAddress.objects.get(user=user).verified


def test_a_claim_never_happens_on_an_owned_account(email_owned_with_typed_phone, rf):
    """The rule below every path: proving a second identifier without the password on an
    account someone owns is no claim (nothing is voided, nothing dropped). The code forms keep
    such a proof from happening at all; this is what the adapter does if one gets through."""
    from allauth.account.adapter import get_adapter
    from allauth.core import context
    from django.contrib.messages.storage.fallback import FallbackStorage

    user = email_owned_with_typed_phone
    request = rf.post("/")
    request.session = Client().session
    request._messages = FallbackStorage(request)
    # this session proved the number with a login code, and never gave the password
    request.session["account_authentication_methods_user"] = str(user.pk)
    request.session["account_authentication_methods"] = [
        {"method": "code", "phone": "+8613712345678", "at": 0}
    ]
    with context.request_context(request):
        get_adapter().set_phone_verified(user, "+8613712345678")
    user.refresh_from_db()
    assert user.phone_verified
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.filter(user=user, email="li@example.com", verified=True).exists()


# --- 2. a confirmation link followed in another browser -----------------------------------------


def attacker_signs_up_email_only(client, email="victim@example.com") -> User:
    response = client.post(
        "/accounts/signup/",
        {"name": "假冒", "email": email, "password1": ATTACKER_PASSWORD,
         "password2": ATTACKER_PASSWORD},
    )  # fmt: skip
    assert response["Location"] == "/accounts/confirm-email/"
    return User.objects.get(email=email)


def test_victim_confirming_from_another_browser_takes_the_account(roles):
    attacker = Client()
    user = attacker_signs_up_email_only(attacker)
    link = confirmation_link("victim@example.com")
    attacker_session = Client()
    attacker_session.post(
        "/accounts/login/", {"login": "victim@example.com", "password": ATTACKER_PASSWORD}
    )
    was_logged_in = logged_in(attacker_session)

    victim = Client()
    victim.get(link)
    response = victim.post(link)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/", "led to set a password"
    page = victim.get(response["Location"]).content.decode()
    assert "之前设置的密码已经作废" in page

    user.refresh_from_db()
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert not logged_in(victim), "a link alone logs nobody in"
    if was_logged_in:
        assert not logged_in(attacker_session), "the attacker's session ended"
    again = Client()
    again.post("/accounts/login/", {"login": "victim@example.com", "password": ATTACKER_PASSWORD})
    assert not logged_in(again)
    # the signing-up browser is not logged in by the victim's confirmation either
    assert not logged_in(attacker)

    # the victim sets a password with the (now verified) address and owns the account
    mail.outbox.clear()
    victim.post("/accounts/password/reset/", {"email": "victim@example.com"})
    (code,) = codes_mailed_to("victim@example.com")
    victim.post("/accounts/password/reset/confirm/", {"code": code})
    victim.post(
        "/accounts/password/reset/complete/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_confirming_in_the_browser_that_signed_up_keeps_the_password(roles):
    client = Client()
    user = attacker_signs_up_email_only(client, email="zhao@example.com")
    response = client.post(confirmation_link("zhao@example.com"))
    assert response.status_code == 302
    assert logged_in(client)
    user.refresh_from_db()
    assert user.check_password(ATTACKER_PASSWORD)


def test_confirming_in_the_signing_up_browser_after_the_login_expired_keeps_the_password(roles):
    """allauth forgets the pending sign-up after LOGIN_TIMEOUT (15 minutes); the browser that
    signed up is still the one that signed up."""
    client = Client()
    user = attacker_signs_up_email_only(client, email="zhao@example.com")
    session = client.session
    del session["account_login"]
    session.save()
    client.post(confirmation_link("zhao@example.com"))
    user.refresh_from_db()
    assert user.check_password(ATTACKER_PASSWORD)
    assert EmailAddress.objects.get(user=user).verified


def test_confirming_an_address_of_an_owned_account_elsewhere_releases_it(roles):
    """The link proves the mailbox, not the account: followed in a browser not logged in as the
    account, it takes the address off (accounts.ownership); the owner adds it again and
    confirms it logged in. (Before, this was a plain confirmation: the way an attacker with
    their own phone got a victim's address verified on their account.)"""
    user = UserFactory(email="wang@example.com")
    EmailAddress.objects.create(user=user, email="wang@example.com", verified=False)
    owner = Client()
    owner.force_login(user)
    owner.post("/accounts/email/", {"email": "wang@example.com", "action_send": ""})
    other_device = Client()
    other_device.post(confirmation_link("wang@example.com"))
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not EmailAddress.objects.filter(user=user).exists()
    assert user.email == ""
    assert logged_in(owner)

    cache.clear()  # a few minutes later: one confirmation mail per address per 3 minutes
    owner.post("/accounts/email/", {"email": "wang@example.com", "action_add": ""})
    owner.post(confirmation_link("wang@example.com"))
    assert EmailAddress.objects.get(user=user, email="wang@example.com").verified
