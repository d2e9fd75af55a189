"""The sign-up form never tells whether an email address is registered (as for phone numbers):
the address's owner gets a mail instead, and the browser sees what a new sign-up sees."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Qx-secret-9981"


@pytest.fixture
def registered(relative):
    relative.email = "wang@example.com"
    relative.save()
    EmailAddress.objects.create(user=relative, email="wang@example.com", verified=True)
    return relative


def sign_up(client, **fields):
    data = {"name": "赵大爷", "password1": PASSWORD, "password2": PASSWORD}
    data.update(fields)
    return client.post("/accounts/signup/", data)


def what_the_browser_sees(client, response, email):
    """Status, where it leads and the page there, with the address typed taken out."""
    page = client.get(response["Location"]).content.decode() if response.status_code == 302 else ""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return response.status_code, response.get("Location"), page.replace(email.lower(), "EMAIL")


def test_email_only_sign_up_with_a_registered_address_looks_like_a_new_one(registered):
    taken_client, new_client = Client(), Client()
    taken = sign_up(taken_client, email="WANG@example.com")
    new = sign_up(new_client, email="zhao@example.com")

    assert what_the_browser_sees(taken_client, taken, "WANG@example.com") == (
        what_the_browser_sees(new_client, new, "zhao@example.com")
    )
    assert taken["Location"] == "/accounts/confirm-email/"
    assert "已经注册" not in taken_client.get("/accounts/confirm-email/").content.decode()
    # no second account; the owner of the address is told, the new address gets its link
    assert User.objects.filter(email__iexact="wang@example.com").count() == 1
    assert sorted(m.to[0].lower() for m in mail.outbox) == ["wang@example.com", "zhao@example.com"]
    to_owner = next(m for m in mail.outbox if m.to[0].lower() == "wang@example.com")
    assert "/accounts/password/reset/" in to_owner.body


def test_the_owner_is_not_mailed_over_and_over(registered):
    for _ in range(5):
        sign_up(Client(), email="wang@example.com")
    assert len(mail.outbox) == 1


def test_new_email_only_sign_up_logs_in_once_the_address_is_confirmed(roles):
    client = Client()
    response = sign_up(client, email="zhao@example.com")
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/me/").status_code == 302
    link = re.search(r"http://\S+/accounts/confirm-email/(\S+)/", mail.outbox[-1].body)
    response = client.post(f"/accounts/confirm-email/{link.group(1)}/")
    assert response.status_code == 302
    assert client.get("/me/").status_code == 200
    assert EmailAddress.objects.get(email="zhao@example.com").verified


def test_phone_sign_up_with_a_registered_address_goes_on_without_it(registered):
    client = Client()
    response = sign_up(client, phone="13712345678", email="wang@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    user = User.objects.get(phone="+8613712345678")
    assert user.email == ""
    assert not EmailAddress.objects.filter(user=user).exists()
    assert [m.to for m in mail.outbox] == [["wang@example.com"]]
