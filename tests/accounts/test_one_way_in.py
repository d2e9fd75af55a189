"""One way in: allauth's views are the only login, logout, password reset and sign-up.

Wagtail brings a login of its own for private pages (/_util/login/), an admin login, logout and
password reset, and an account page that changed the email address without verifying it. They
skipped allauth's rate limits and phone verification."""

import pytest
from django.core import mail
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"
OLD_LOGINS = ["/_util/login/", "/admin/login/", "/admin/login/?next=/admin/"]


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", OLD_LOGINS)
def test_brute_force_at_an_old_login_url_logs_nobody_in(admin, url):
    client = Client()
    for n in range(40):
        client.post(url, {"username": admin.username, "password": f"wrong-{n}"})
    for login in (admin.username, admin.phone):
        response = client.post(url, {"username": login, "password": PASSWORD})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
        assert not logged_in(client)


@pytest.mark.parametrize("url", OLD_LOGINS)
def test_unverified_phone_is_never_logged_in_by_an_old_url(roles, url):
    user = UserFactory(phone_verified=False)
    client = Client()
    client.post(url, {"username": user.username, "password": PASSWORD})
    client.post(url, {"username": user.phone, "password": PASSWORD})
    assert not logged_in(client)


def test_unverified_phone_through_allauth_goes_to_phone_verification(roles):
    user = UserFactory(phone_verified=False)
    client = Client()
    response = client.post("/accounts/login/", {"login": user.phone, "password": PASSWORD})
    assert response["Location"] == "/accounts/phone/verify/"
    assert not logged_in(client)


def test_private_pages_ask_for_allauth_login(roles):
    from wagtail.models import Page, PageViewRestriction

    page = Page.objects.get(depth=2)
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    response = Client().get(page.url, follow=True)
    # through portal.views.frontend_login_redirect, which answers a logged-in person with 403
    assert [url for url, _status in response.redirect_chain] == [
        "/_util/login/?next=/",
        "/accounts/login/?next=%2F",
    ]
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url", ["/admin/password_reset/", "/admin/password_reset/confirm/MQ/set-password/"]
)
def test_wagtail_password_reset_sends_no_email_and_leads_to_allauth(admin, url):
    admin.email = "admin@example.com"
    admin.save()
    client = Client()
    for _ in range(25):
        response = client.post(url, {"email": "admin@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/"
    assert mail.outbox == []


def test_admin_logout_is_allauths(staff):
    client = Client()
    client.force_login(staff)
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert not logged_in(client)


def test_admin_account_page_sets_no_email_and_links_to_allauth(staff):
    staff.email = "zhang@example.com"
    staff.save()
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/account/").content.decode()
    assert 'name="name_email-email"' not in page
    assert 'name="password-new_password1"' not in page
    assert 'href="/accounts/email/"' in page
    assert 'href="/accounts/password/change/"' in page

    response = client.post(
        "/admin/account/",
        {
            "name_email-first_name": "晓燕",
            "name_email-last_name": "张",
            "name_email-email": "someone-else@example.com",
            "password-old_password": PASSWORD,
            "password-new_password1": "Xin-mima-2026",
            "password-new_password2": "Xin-mima-2026",
        },
    )
    assert response.status_code in (200, 302)
    staff.refresh_from_db()
    assert staff.email == "zhang@example.com"
    assert staff.check_password(PASSWORD)
