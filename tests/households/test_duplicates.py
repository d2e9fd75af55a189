"""One person per natural key in a household (member_natural_key), and what deals with the
duplicates old parallel imports left: migration 0008's check, ``member_merge``, the
``register_duplicates`` command, the admin form and the household merge.

The world is the "two communities" world of conftest.py."""

from __future__ import annotations

import datetime
import io
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from events.models import Signup
from households import services
from households.management.commands.register_duplicates import member_duplicate_groups
from households.models import HouseholdChange, Member
from tests.factories.events import event_create
from tests.factories.households import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

BORN = datetime.date(1956, 3, 12)


def _drop_the_constraint():
    """Stand for a register from before migration 0008 (rolled back with the test: both
    databases undo DDL with the transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX member_natural_key")


@pytest.fixture
def before_0008_for_real():
    """The same for a test that commits (merging takes the register import lock, outside any
    transaction): the constraint is put back afterwards, over an emptied register."""
    _drop_the_constraint()
    yield
    Member.objects.all().delete()
    constraint = next(c for c in Member._meta.constraints if c.name == "member_natural_key")
    with connection.schema_editor() as editor:
        editor.add_constraint(Member, constraint)


def _twin(member: Member, **changes) -> Member:
    """A second record of the same person, as an old parallel import made it."""
    values = {
        "household": member.household,
        "name": member.name,
        "birth_date": member.birth_date,
        "category": member.category,
        "relation": Member.Relation.OTHER,
        "mobile": "",
        "id_number": "",
        **changes,
    }
    return MemberFactory(**values)


# --- the constraint ----------------------------------------------------------------------------


@pytest.mark.parametrize("born", [BORN, None], ids=["same birth date", "both without one"])
def test_the_database_refuses_the_same_person_twice_in_a_household(world, born):
    first = MemberFactory(household=world.hA2, name="李明", birth_date=born, id_number="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(
            household=world.hA2, name="李明", birth_date=born, category="relative"
        )
    # the same name with another birth date, or in another household, is another person
    Member.objects.create(
        household=world.hA2, name="李明", birth_date=datetime.date(1990, 1, 1), category="relative"
    )
    Member.objects.create(household=world.hB1, name="李明", birth_date=born, category="relative")
    assert Member.objects.filter(name="李明").count() == 3
    assert first.pk


def test_the_admin_form_shows_the_rule_instead_of_failing(world, client_for):
    response = client_for("staff").post(
        reverse("households_member:add"),
        {
            "household": world.hA1.pk,
            "name": world.mA1.name,
            "birth_date": world.mA1.birth_date.isoformat(),
            "relation": "child",
            "category": "relative",
            "gender": "male",
            "mobile": "",
            "id_number": "",
            "country": "",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "同一个人不能登记两次" in html
    assert Member.objects.filter(household=world.hA1, name=world.mA1.name).count() == 1


# --- migration 0008's check --------------------------------------------------------------------


def test_the_migration_names_the_duplicates_and_the_command_instead_of_crashing(world):
    _drop_the_constraint()
    _twin(world.mA1)
    nameless = MemberFactory(household=world.hA2, name="李明", birth_date=None, id_number="")
    _twin(nameless)
    _twin(nameless)
    migration = import_module("households.migrations.0008_member_natural_key")

    with pytest.raises(CommandError) as refused:
        migration.refuse_duplicates(django_apps, SimpleNamespace(connection=connection))

    message = str(refused.value)
    assert "2 组重复登记的人" in message
    assert (
        f"户编号 {world.hA1.key}：{world.mA1.name}（出生日期：{world.mA1.birth_date}）登记了 2 次"
        in message
    )
    assert f"户编号 {world.hA2.key}：李明（出生日期：未填）登记了 3 次" in message
    assert "python manage.py register_duplicates --merge" in message


def test_the_migration_check_passes_a_clean_register(world):
    migration = import_module("households.migrations.0008_member_natural_key")
    migration.refuse_duplicates(django_apps, SimpleNamespace(connection=connection))


def test_the_check_runs_before_the_constraint_is_added():
    migration = import_module("households.migrations.0008_member_natural_key").Migration
    kinds = [type(operation).__name__ for operation in migration.operations]
    assert kinds == ["RunPython", "AddConstraint"]


# --- member_merge ------------------------------------------------------------------------------


def test_merge_moves_every_reference_fills_empty_fields_and_writes_history(world, staff):
    _drop_the_constraint()
    keep = world.mA1b  # has a mobile and an ID number
    keep.gender, keep.notes = "", "腿脚不便"
    keep.save()
    duplicate = _twin(keep, gender="male", country="US", notes="女儿在美国")
    contact_of = MemberFactory(household=keep.household, home_contact=duplicate)
    signup = Signup.objects.create(
        event=event_create(), member=duplicate, name=duplicate.name, status="confirmed"
    )

    kept = services.member_merge(keep=keep, duplicate=duplicate, actor=staff)

    assert not Member.objects.filter(pk=duplicate.pk).exists()
    kept.refresh_from_db()
    assert (kept.gender, kept.country) == ("male", "US")  # filled: they were empty
    assert kept.mobile == world.mA1b.mobile  # kept: it was not empty
    assert kept.notes == "腿脚不便\n女儿在美国"
    signup.refresh_from_db()
    contact_of.refresh_from_db()
    assert signup.member_id == kept.pk
    assert contact_of.home_contact_id == kept.pk
    change = HouseholdChange.objects.get(household=keep.household, kind="merged")
    assert change.actor == staff
    assert f"#{duplicate.pk} 并入 #{keep.pk}" in change.detail["merged_member"]
    assert "1" in change.detail["moved"]


def test_merge_refuses_two_different_id_numbers_and_changes_nothing(world, staff):
    _drop_the_constraint()
    duplicate = _twin(world.mA2, id_number="330902196005010019")
    with pytest.raises(services.RegisterError, match="身份证号不同"):
        services.member_merge(keep=world.mA2, duplicate=duplicate, actor=staff)
    assert Member.objects.filter(pk=duplicate.pk).exists()
    assert not HouseholdChange.objects.filter(kind="merged").exists()


def test_merge_refuses_when_both_hold_the_same_sign_up_and_changes_nothing(world, staff):
    _drop_the_constraint()
    duplicate = _twin(world.mA2)
    event = event_create()
    Signup.objects.create(event=event, member=world.mA2, name="甲", status="confirmed")
    theirs = Signup.objects.create(event=event, member=duplicate, name="乙", status="confirmed")
    with pytest.raises(services.RegisterError, match="请先在那里处理掉其中一条"):
        services.member_merge(keep=world.mA2, duplicate=duplicate, actor=staff)
    theirs.refresh_from_db()
    assert theirs.member_id == duplicate.pk
    assert Member.objects.filter(pk=duplicate.pk).exists()


def test_merging_households_merges_the_people_both_registered(world, staff):
    # one family registered twice: the same person in both households
    twin = MemberFactory(
        household=world.hA1b, name=world.mA1.name, birth_date=world.mA1.birth_date, id_number=""
    )
    services.household_merge(keep=world.hA1, duplicate=world.hA1b, actor=staff)
    assert not Member.objects.filter(pk=twin.pk).exists()
    assert Member.objects.filter(household=world.hA1, name=world.mA1.name).count() == 1
    assert set(world.hA1.members.values_list("name", flat=True)) == {"陈家豪", "王秀英", "刘雅琴"}
    change = HouseholdChange.objects.get(
        household=world.hA1, kind="merged", detail__merged_household=world.hA1b.key
    )
    assert change.detail["members_merged"] == 1


# --- the command -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_command_lists_and_merges_each_group_into_its_oldest_record(
    world, before_0008_for_real
):
    second = _twin(world.mA1, mobile="+8613900000001")
    nameless = MemberFactory(household=world.hA2, name="李明", birth_date=None, id_number="")
    later = [_twin(nameless), _twin(nameless)]

    out = io.StringIO()
    call_command("register_duplicates", stdout=out)
    assert "重复登记的人：2 组" in out.getvalue()
    assert f"#{world.mA1.pk}" in out.getvalue() and f"#{second.pk}" in out.getvalue()
    assert Member.objects.filter(pk=second.pk).exists()  # listing changes nothing

    call_command("register_duplicates", "--merge", stdout=out)
    assert member_duplicate_groups() == []
    assert not Member.objects.filter(pk__in=[second.pk, *(m.pk for m in later)]).exists()
    assert Member.objects.filter(pk__in=[world.mA1.pk, nameless.pk]).count() == 2
    assert HouseholdChange.objects.filter(kind="merged").count() == 3

    out = io.StringIO()
    call_command("register_duplicates", stdout=out)
    assert "名册里没有重复登记的人" in out.getvalue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_command_reports_a_group_it_could_not_merge_and_exits_non_zero(
    world, before_0008_for_real
):
    other_id = _twin(world.mA2, id_number="330902196005010019")
    with pytest.raises(CommandError, match="有 1 组没有合并"):
        call_command("register_duplicates", "--merge", stdout=io.StringIO())
    assert Member.objects.filter(pk=other_id.pk).exists()


def test_duplicates_in_different_households_are_different_people(world):
    HouseholdFactory()
    MemberFactory(household=world.hA2, name="陈家豪", birth_date=world.mA1.birth_date)
    assert member_duplicate_groups() == []
