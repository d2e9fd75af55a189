import io
import time

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_TOTP_SECRET, PASSWORD, PERSONAS
from accounts.models import User
from households.models import Community, GridGroup, Household, Member
from tests.factories import totp_code

#: Demo logins that also ask for the authenticator-app code (accounts/demo.py).
SECOND_FACTOR = {"group_leader", "cadre", "staff", "admin"}

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", households=40, stdout=out)
    return out.getvalue()


def test_seed_demo_is_idempotent_and_prints_the_logins():
    first = seed()
    counts = (User.objects.count(), Household.objects.count(), Member.objects.count())
    second = seed()
    assert (User.objects.count(), Household.objects.count(), Member.objects.count()) == counts
    assert counts[1] == 40
    assert Community.objects.count() == 20
    assert GridGroup.objects.count() == 36
    for output in (first, second):
        assert "13900000006" in output
        assert PASSWORD in output
        assert DEMO_TOTP_SECRET in output


@pytest.mark.parametrize("role,username,name,phone,email", PERSONAS)
def test_every_demo_login_works(client, role, username, name, phone, email):
    seed()
    response = client.post(
        "/accounts/login/", {"login": phone.removeprefix("+86"), "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    if role in SECOND_FACTOR:
        assert response["Location"] == "/accounts/2fa/authenticate/"
        response = client.post(response["Location"], {"code": totp_code(DEMO_TOTP_SECRET)})
        assert response.status_code == 302, response.content.decode()[:500]
    expected_admin = 302 if role in ("relative", "volunteer") else 200
    assert client.get("/admin/").status_code == expected_admin


def test_demo_totp_prints_the_current_code_of_each_demo_login_that_asks_for_one():
    seed()
    out = io.StringIO()
    call_command("demo_totp", stdout=out)
    lines = [line for line in out.getvalue().splitlines() if "139000000" in line]
    assert len(lines) == len(SECOND_FACTOR)
    codes = {line.split()[-1] for line in lines}
    # the 30-second step may turn between the command's reading and this one
    assert codes <= {totp_code(DEMO_TOTP_SECRET), totp_code(DEMO_TOTP_SECRET, at=time.time() - 30)}
    assert len(codes) == 1
