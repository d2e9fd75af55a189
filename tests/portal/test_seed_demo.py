import io

import pytest
from django.core.management import call_command

from accounts.demo import PASSWORD, PERSONAS
from accounts.models import User
from households.models import Community, GridGroup, Household, Member

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


@pytest.mark.parametrize("role,username,name,phone,email", PERSONAS)
def test_every_demo_login_works(client, role, username, name, phone, email):
    seed()
    response = client.post(
        "/accounts/login/", {"login": phone.removeprefix("+86"), "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    expected_admin = 302 if role in ("relative", "volunteer") else 200
    assert client.get("/admin/").status_code == expected_admin
