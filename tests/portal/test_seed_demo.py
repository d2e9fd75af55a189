import io

import pytest
from django.core.management import call_command

from accounts.demo import PASSWORD, PERSONAS
from accounts.models import User

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_is_idempotent_and_prints_the_logins():
    first = seed()
    users = User.objects.count()
    second = seed()
    assert User.objects.count() == users == len(PERSONAS)
    for output in (first, second):
        assert "13900000006" in output
        assert PASSWORD in output


@pytest.mark.parametrize("role,username,name,phone,email", PERSONAS)
def test_every_demo_login_works(client, role, username, name, phone, email):
    seed()
    response = client.post(
        "/accounts/login/", {"login": phone.removeprefix("+86"), "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    expected_admin = 200 if role in ("staff", "admin") else 302
    assert client.get("/admin/").status_code == expected_admin
