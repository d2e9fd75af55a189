"""Session lifetimes by role: 8 hours idle for those who can see everything, 14 days for
relatives; pushed forward without writing the session on every request."""

from __future__ import annotations

import datetime
import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.middleware import SESSION_REFRESHED_KEY
from households.models import Responsibility
from households.services import responsibility_assign
from tests.conftest import PASSWORD
from tests.factories import totp_code
from tests.factories.households import GridGroupFactory

pytestmark = pytest.mark.django_db

HOURS = 3600
DAYS = 24 * HOURS


def _expiry_age(client: Client) -> int:
    return client.session.get_expiry_age()


def _stored_expiry(client: Client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def _age_session(client: Client, seconds: int) -> None:
    """Make the session look as if its last refresh was ``seconds`` ago."""
    session = client.session
    session[SESSION_REFRESHED_KEY] = int(time.time()) - seconds
    session.save()


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_settings_defaults(settings):
    assert settings.SESSION_COOKIE_AGE == 14 * DAYS
    assert settings.SESSION_IDLE_STAFF_SECONDS == 8 * HOURS


@pytest.mark.parametrize(
    ("persona", "age"),
    [
        ("relative", 14 * DAYS),
        ("volunteer", 14 * DAYS),
        ("committee_member", 14 * DAYS),
        ("group_leader", 8 * HOURS),
        ("cadre", 8 * HOURS),
        ("staff", 8 * HOURS),
        ("admin", 8 * HOURS),
    ],
)
def test_the_session_expiry_is_set_by_role(client_for, persona, age):
    client = client_for(persona)
    client.get("/me/")
    assert _expiry_age(client) == age
    stored = _stored_expiry(client).timestamp() - time.time()
    assert age - 60 < stored <= age


def test_a_staff_password_login_expires_after_8_hours_not_allauths_14_days(client, staff):
    """ACCOUNT_SESSION_REMEMBER = True makes allauth set SESSION_COOKIE_AGE at the password
    step; the login that completes with the code gets the staff limit in the same response."""
    login = staff.phone.removeprefix("+86")
    client.post("/accounts/login/", {"login": login, "password": PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert response.status_code == 302
    assert _logged_in(client)
    assert _expiry_age(client) == 8 * HOURS
    cookie = response.cookies["sessionid"]
    assert 0 < int(cookie["max-age"]) <= 8 * HOURS


def test_a_relative_password_login_lasts_14_days(client, relative):
    response = client.post(
        "/accounts/login/", {"login": relative.phone.removeprefix("+86"), "password": PASSWORD}
    )
    assert _logged_in(client)
    assert _expiry_age(client) == 14 * DAYS
    assert int(response.cookies["sessionid"]["max-age"]) == 14 * DAYS


def test_the_session_is_not_written_on_every_request(client_for):
    client = client_for("staff")
    client.get("/me/")
    first = _stored_expiry(client)
    response = client.get("/me/")
    assert _stored_expiry(client) == first
    assert "sessionid" not in response.cookies  # no new cookie either


def test_the_lifetime_is_pushed_forward_after_a_few_minutes(client_for, settings):
    client = client_for("staff")
    client.get("/me/")
    _age_session(client, settings.SESSION_REFRESH_SECONDS + 1)
    before = _stored_expiry(client)
    client.get("/me/")
    refreshed = client.session[SESSION_REFRESHED_KEY]
    assert refreshed >= int(time.time()) - 2
    assert _stored_expiry(client) >= before
    assert abs(_stored_expiry(client).timestamp() - (refreshed + 8 * HOURS)) < 5


def test_an_idle_staff_session_past_8_hours_is_logged_out(client_for):
    client = client_for("staff")
    client.get("/me/")
    _age_session(client, 8 * HOURS - 60)
    assert client.get("/admin/").status_code == 200  # within the limit: still in

    _age_session(client, 8 * HOURS + 1)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert not _logged_in(client)
    page = client.get(response["Location"], follow=True).content.decode()
    assert "请重新登录" in page


def test_the_store_itself_drops_an_expired_staff_session(client_for):
    """The expiry the store enforces is the role's, too (no request needed to end it)."""
    client = client_for("staff")
    client.get("/me/")
    key = client.session.session_key
    expire_date = Session.objects.get(session_key=key).expire_date
    # as if the last request was 8 hours and a minute ago
    Session.objects.filter(session_key=key).update(
        expire_date=expire_date - datetime.timedelta(hours=8, minutes=1)
    )
    assert client.get("/me/").status_code == 302
    assert not _logged_in(client)


def test_a_relative_idle_for_a_week_stays_in_and_after_14_days_is_out(client_for):
    client = client_for("relative")
    client.get("/me/")
    _age_session(client, 7 * DAYS)
    assert client.get("/me/").status_code == 200
    _age_session(client, 14 * DAYS + 1)
    assert client.get("/me/").status_code == 302
    assert not _logged_in(client)


def test_a_relative_given_a_responsibility_gets_the_short_limit(client_for, relative):
    client = client_for("relative")
    client.get("/me/")
    assert _expiry_age(client) == 14 * DAYS
    _age_session(client, 2 * DAYS)
    responsibility_assign(
        user=relative, level=Responsibility.Level.GROUP_LEADER, grid_group=GridGroupFactory()
    )
    # idle two days: too long for someone who may now see full numbers
    client.get("/me/")
    assert not _logged_in(client)


def test_a_fresh_session_of_a_promoted_relative_gets_8_hours(client_for, relative):
    client = client_for("relative")
    client.get("/me/")
    responsibility_assign(
        user=relative, level=Responsibility.Level.GROUP_LEADER, grid_group=GridGroupFactory()
    )
    client.get("/me/")  # sent to set up the authenticator; the session already shortened
    assert _logged_in(client)
    assert _expiry_age(client) == 8 * HOURS
