"""Personas and shared fixtures. Personas as in ../shared/STYLE.md: anonymous, relative,
volunteer, group_leader, cadre, committee_member, staff, admin and an outsider."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import sms
from accounts.roles import Role
from accounts.services import roles_sync
from tests.factories import UserFactory

PASSWORD = "correct-horse-42"


@pytest.fixture(autouse=True)
def _clean_outboxes(settings):
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits live in the cache; each test starts with none used.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def roles(db):
    return roles_sync()


def _persona(roles, role: str | None, **extra):
    user = UserFactory(**extra)
    if role == "admin":
        user.is_staff = user.is_superuser = True
        user.save()
    elif role is not None:
        user.groups.add(roles[role])
        if role == Role.STAFF:
            user.is_staff = True
            user.save()
    return user


@pytest.fixture
def relative(roles):
    return _persona(roles, None, name="王秀英")


@pytest.fixture
def volunteer(roles):
    return _persona(roles, Role.VOLUNTEER, name="李建国")


@pytest.fixture
def group_leader(roles):
    return _persona(roles, Role.GROUP_LEADER, name="陈美华")


@pytest.fixture
def cadre(roles):
    return _persona(roles, Role.CADRE, name="林志强")


@pytest.fixture
def committee_member(roles):
    return _persona(roles, Role.COMMITTEE_MEMBER, name="周丽娟")


@pytest.fixture
def staff(roles):
    return _persona(roles, Role.STAFF, name="张晓燕")


@pytest.fixture
def admin(roles):
    return _persona(roles, "admin", name="管理员")


@pytest.fixture
def outsider(roles):
    return _persona(roles, None, name="外人")


PERSONAS = ["anonymous", "relative", "volunteer", "group_leader", "cadre", "committee_member",
            "staff", "admin", "outsider"]  # fmt: skip


@pytest.fixture
def client_for(request):
    """``client_for("staff")`` → a test client logged in as that persona."""

    def make(persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        return client

    return make
