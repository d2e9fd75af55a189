"""core.inserting: a new row and the rows that refer to it, in one statement on PostgreSQL."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, transaction

from core.inserting import insert_together
from core.models import Notice
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Membership = Group.user_set.through  # a row with a foreign key to the group


def test_a_row_and_the_rows_that_refer_to_it_are_inserted_together(django_assert_num_queries):
    user = UserFactory()
    group = Group(name="志愿者")
    membership = Membership(user=user)
    notice = Notice(topic="tests.inserting", kind="hello")

    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        insert_together(group, then=[(membership, "group"), (notice, "object_id")])

    assert Group.objects.get(pk=group.pk).name == "志愿者"
    assert Membership.objects.get(pk=membership.pk).group_id == group.pk
    saved = Notice.objects.get(pk=notice.pk)
    assert saved.object_id == group.pk == notice.object_id
    assert saved.created_at is not None and saved.state == Notice.State.PENDING  # the defaults
    assert not any(row._state.adding for row in (group, membership, notice))
    assert list(user.groups.all()) == [group]


def test_a_refused_row_leaves_nothing_written():
    Group.objects.create(name="组长")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together(
            Group(name="义工"), then=[(Notice(topic=None, kind="hello"), "object_id")]
        )  # the notice breaks NOT NULL
    notice = Notice(topic="t", kind="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together(Group(name="组长"), then=[(notice, "object_id")])
    assert notice.pk is None and notice.object_id is None and notice._state.adding
    assert list(Group.objects.filter(name__in=["组长", "义工"]).values_list("name", flat=True)) == [
        "组长"
    ]
    assert not Notice.objects.exists()
