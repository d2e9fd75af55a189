"""Responsibilities granted and ended through the admin screen: the role group follows them,
and the record says who granted and who ended each one. The world is the "two communities"
world of conftest.py (its responsibilities were set up with no granter)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from accounts.roles import GROUP_NAMES, Role
from accounts.services import role_group
from households import services
from households.models import Responsibility
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADD = reverse("households_responsibility:add")
LIST = reverse("households_responsibility:index")


def _edit(responsibility) -> str:
    return reverse("households_responsibility:edit", args=[responsibility.pk])


def _form(responsibility: Responsibility, **changes) -> dict:
    data = {
        "user": responsibility.user_id,
        "level": responsibility.level,
        "community": responsibility.community_id or "",
        "grid_group": responsibility.grid_group_id or "",
        "start_date": responsibility.start_date.isoformat(),
        "end_date": responsibility.end_date.isoformat() if responsibility.end_date else "",
    }
    return {**data, **changes}


def _holds(user, level: str) -> bool:
    return user.groups.filter(name=GROUP_NAMES[Role(level)]).exists()


@pytest.fixture
def newcomer(roles):
    """A registered user with no role yet."""
    return UserFactory(name="黄新来")


def _grant(client, newcomer, world, **data):
    today = timezone.localdate()
    payload = {
        "user": newcomer.pk,
        "level": "cadre",
        "community": world.community_b.pk,
        "grid_group": "",
        "start_date": (today - timedelta(days=30)).isoformat(),
        "end_date": "",
        **data,
    }
    return client.post(ADD, payload)


def test_a_cadre_made_in_the_admin_gets_the_group_and_the_record_names_the_granter(
    world, client_for, staff, newcomer
):
    response = _grant(client_for("staff"), newcomer, world)
    assert response.status_code == 302, response.content.decode()[:3000]
    responsibility = Responsibility.objects.get(user=newcomer)
    assert responsibility.granted_by == staff
    assert responsibility.granted_at is not None
    assert responsibility.ended_by is None
    assert _holds(newcomer, "cadre")
    # the cadre's permissions come with the group, and the scope with the responsibility
    newcomer = type(newcomer).objects.get(pk=newcomer.pk)
    assert newcomer.has_perm("households.unmask_member")
    assert ModelLogEntry.objects.filter(
        action="wagtail.create", object_id=str(responsibility.pk), user=staff
    ).exists()
    html = client_for("staff").get(LIST).content.decode()
    assert "安排人" in html and staff.name in html


def test_a_refused_grant_comes_back_filled_in_and_gives_nothing(world, client_for, newcomer):
    # a group leader looks after a grid group, not a community
    response = _grant(client_for("staff"), newcomer, world, level="group_leader")
    assert response.status_code == 200
    html = response.content.decode()
    assert "侨眷小组长负责小组" in html
    assert f'value="{newcomer.pk}" selected' in html  # what was chosen is still chosen
    assert not Responsibility.objects.filter(user=newcomer).exists()
    assert not _holds(newcomer, "group_leader")


def test_ending_the_last_responsibility_of_a_level_takes_the_group_away(
    world, client_for, staff, newcomer
):
    client = client_for("staff")
    assert _grant(client, newcomer, world).status_code == 302
    responsibility = Responsibility.objects.get(user=newcomer)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(_edit(responsibility), _form(responsibility, end_date=yesterday))
    assert response.status_code == 302, response.content.decode()[:3000]
    responsibility.refresh_from_db()
    assert responsibility.end_date == yesterday
    assert responsibility.ended_by == staff
    assert not _holds(newcomer, "cadre")
    assert ModelLogEntry.objects.filter(
        action="wagtail.edit", object_id=str(responsibility.pk), user=staff
    ).exists()


def test_another_responsibility_of_the_level_keeps_the_group(world, client_for, newcomer):
    client = client_for("staff")
    assert _grant(client, newcomer, world).status_code == 302
    assert _grant(client, newcomer, world, community="", grid_group=world.a2.pk).status_code == 302
    first = Responsibility.objects.get(user=newcomer, community=world.community_b)
    yesterday = timezone.localdate() - timedelta(days=1)
    assert client.post(_edit(first), _form(first, end_date=yesterday)).status_code == 302
    assert _holds(newcomer, "cadre")  # still the cadre of grid group A2


def test_a_group_of_another_level_is_left_alone(world, client_for, newcomer, staff):
    services.responsibility_assign(
        user=newcomer, level="group_leader", grid_group=world.b1, actor=staff
    )
    client = client_for("staff")
    assert _grant(client, newcomer, world).status_code == 302
    cadre = Responsibility.objects.get(user=newcomer, level="cadre")
    yesterday = timezone.localdate() - timedelta(days=1)
    assert client.post(_edit(cadre), _form(cadre, end_date=yesterday)).status_code == 302
    assert not _holds(newcomer, "cadre")
    assert _holds(newcomer, "group_leader")


def test_a_responsibility_ending_later_keeps_the_group_until_the_daily_job(
    world, client_for, newcomer
):
    client = client_for("staff")
    assert _grant(client, newcomer, world).status_code == 302
    responsibility = Responsibility.objects.get(user=newcomer)
    today = timezone.localdate()
    assert client.post(_edit(responsibility), _form(responsibility, end_date=today)).status_code
    assert _holds(newcomer, "cadre")  # in force all of today
    assert services.responsibility_roles_expire(today=today) == 0
    assert _holds(newcomer, "cadre")
    assert services.responsibility_roles_expire(today=today + timedelta(days=1)) == 1
    assert not _holds(newcomer, "cadre")


def test_the_daily_job_leaves_a_group_given_by_hand(world, newcomer):
    newcomer.groups.add(role_group("cadre"))  # no responsibility at all: someone's decision
    services.responsibility_roles_expire(today=timezone.localdate() + timedelta(days=400))
    assert _holds(newcomer, "cadre")


def test_who_holds_it_and_the_level_cannot_be_changed_afterwards(
    world, client_for, newcomer, cadre
):
    client = client_for("staff")
    assert _grant(client, newcomer, world).status_code == 302
    responsibility = Responsibility.objects.get(user=newcomer)
    data = _form(responsibility, user=cadre.pk, level="committee_member")
    assert client.post(_edit(responsibility), data).status_code == 302
    responsibility.refresh_from_db()
    assert (responsibility.user, responsibility.level) == (newcomer, "cadre")


def test_reassigning_records_who_ended_and_who_granted(world, staff, group_leader, newcomer):
    on = timezone.localdate()
    world.leader_a1.start_date = on - timedelta(days=10)
    world.leader_a1.save()
    new = services.responsibility_reassign(
        responsibility=world.leader_a1, to_user=newcomer, on=on, actor=staff
    )
    world.leader_a1.refresh_from_db()
    assert world.leader_a1.end_date == on - timedelta(days=1)
    assert world.leader_a1.ended_by == staff
    assert (new.user, new.granted_by, new.start_date) == (newcomer, staff, on)
    assert _holds(newcomer, "group_leader")
    assert not _holds(group_leader, "group_leader")


@pytest.mark.parametrize("persona", ["cadre", "committee_member"])
def test_only_those_who_see_the_whole_register_grant(world, request, persona, newcomer):
    actor = request.getfixturevalue(persona)
    with pytest.raises(Exception) as refused:
        services.responsibility_assign(
            user=newcomer, level="group_leader", grid_group=world.a1, actor=actor
        )
    assert "权限" in str(refused.value) or "侨联工作人员" in str(refused.value)
    assert not Responsibility.objects.filter(user=newcomer).exists()


def test_the_daily_task_runs_the_expiry(world, newcomer, staff):
    from households.tasks import responsibility_roles_expire

    last_week = timezone.localdate() - timedelta(days=7)
    services.responsibility_assign(
        user=newcomer,
        level="cadre",
        community=world.community_b,
        actor=staff,
        start_date=last_week - timedelta(days=30),
    )
    Responsibility.objects.filter(user=newcomer).update(end_date=last_week)  # ended meanwhile
    assert responsibility_roles_expire() == 1
    assert not _holds(newcomer, "cadre")
    assert responsibility_roles_expire() == 0  # idempotent
