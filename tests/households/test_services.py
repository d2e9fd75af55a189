"""The register's write services check their actor themselves: permission, scope (an object
outside it does not exist), the register's rules, and the history they write. The world is the
"two communities" world of conftest.py: the cadre covers community A, the group leader A1."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from households import services
from households.models import Community, GridGroup, Household, HouseholdChange, Member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _grant(user, *codenames: str) -> None:
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label="households")
        )
    user.__dict__.pop("_perm_cache", None)
    user.__dict__.pop("_user_perm_cache", None)


def test_a_person_outside_the_actors_scope_does_not_exist_for_the_service(world, cadre):
    _grant(cadre, "change_member", "delete_member")
    with pytest.raises(Member.DoesNotExist):
        services.member_update(actor=cadre, member_id=world.mB1.pk, changes={"notes": "x"})
    with pytest.raises(Member.DoesNotExist):
        services.member_delete(actor=cadre, member_id=world.mB1.pk)
    world.mB1.refresh_from_db()
    assert world.mB1.notes == ""


def test_a_household_outside_the_scope_cannot_be_written_or_joined(world, cadre):
    _grant(cadre, "change_household", "add_member", "change_member")
    with pytest.raises(Household.DoesNotExist):
        services.household_update(actor=cadre, household_id=world.hB1.pk, changes={"notes": "x"})
    with pytest.raises(Household.DoesNotExist):
        services.member_create(
            actor=cadre, fields={"household": world.hB1, "name": "新人", "category": "relative"}
        )
    with pytest.raises(Household.DoesNotExist):  # moving someone into it
        services.member_update(
            actor=cadre, member_id=world.mA2.pk, changes={"household": world.hB1}
        )
    assert not Member.objects.filter(name="新人").exists()


def test_the_service_checks_the_permission_as_well_as_the_screen(world, group_leader):
    with pytest.raises(PermissionDenied):
        services.member_update(actor=group_leader, member_id=world.mA1.pk, changes={"notes": "x"})
    with pytest.raises(PermissionDenied):
        services.household_move(household=world.hA1, grid_group=world.a2, actor=group_leader)


def test_a_household_cannot_be_placed_outside_the_actors_scope(world, group_leader):
    _grant(group_leader, "add_household", "change_household")
    with pytest.raises(services.RegisterError) as refused:
        services.household_create(
            actor=group_leader,
            fields={"key": "X-1", "community": world.community_a, "grid_group": world.a2},
        )
    assert refused.value.field == "grid_group"
    with pytest.raises(services.RegisterError):
        services.household_update(
            actor=group_leader, household_id=world.hA1.pk, changes={"grid_group": None}
        )
    with pytest.raises(services.RegisterError):
        services.household_move(household=world.hA1, grid_group=world.a2, actor=group_leader)
    world.hA1.refresh_from_db()
    assert world.hA1.grid_group == world.a1
    assert not Household.objects.filter(key="X-1").exists()


def test_only_the_whole_register_links_an_account(world, cadre, staff):
    _grant(cadre, "change_member")
    account = UserFactory()
    with pytest.raises(services.RegisterError) as refused:
        services.member_update(actor=cadre, member_id=world.mA2.pk, changes={"user": account})
    assert refused.value.field == "user"
    # and staff only to an account that is not someone else's already
    with pytest.raises(services.RegisterError):
        services.member_update(
            actor=staff, member_id=world.mA2.pk, changes={"user": world.mA1_relative.user}
        )
    services.member_update(actor=staff, member_id=world.mA2.pk, changes={"user": account})
    assert Member.objects.get(pk=world.mA2.pk).user == account


def test_numbers_are_normalised_and_bad_ones_named(world, staff):
    member = services.member_update(
        actor=staff, member_id=world.mA2.pk, changes={"mobile": "１３９ ００００ ０３３３"}
    )
    assert member.mobile == "+8613900000333"
    with pytest.raises(services.RegisterError) as refused:
        services.member_update(actor=staff, member_id=world.mA2.pk, changes={"mobile": "12345"})
    assert refused.value.field == "mobile"


def test_the_models_rules_hold_for_every_caller(world, staff):
    with pytest.raises(ValidationError) as refused:
        services.member_create(
            actor=staff,
            fields={
                "household": world.hA2,
                "name": "重号",
                "category": "relative",
                "id_number": world.mA1.id_number,  # already in the register
            },
        )
    assert "id_number" in refused.value.message_dict or refused.value.messages
    with pytest.raises(ValidationError):
        services.household_create(
            actor=staff, fields={"key": world.hA1.key, "community": world.community_a}
        )


def test_a_field_the_service_does_not_write_is_a_programming_error(world, staff):
    with pytest.raises(TypeError):
        services.household_update(
            actor=staff, household_id=world.hA1.pk, changes={"householder_name": "冒名"}
        )
    with pytest.raises(TypeError):
        services.member_update(actor=staff, member_id=world.mA1.pk, changes={"name_pinyin": "x"})


def test_moving_a_person_leaves_their_dependants_contact_behind(world, staff):
    world.mA1_relative.home_contact = world.mA1
    world.mA1_relative.save()
    services.member_update(actor=staff, member_id=world.mA1.pk, changes={"household": world.hA2})
    world.mA1_relative.refresh_from_db()
    assert world.mA1_relative.home_contact is None


def test_adding_a_person_records_it_and_keeps_the_householder(world, staff):
    member = services.member_create(
        actor=staff,
        fields={
            "household": world.hA1b,
            "name": "刘大海",
            "relation": "child",
            "category": "relative",
        },
    )
    assert member.name_initials == "ldh"
    world.hA1b.refresh_from_db()
    assert world.hA1b.householder_name == "刘雅琴"
    change = world.hA1b.changes.get()
    assert (change.kind, change.detail, change.actor) == (
        HouseholdChange.Kind.MEMBER_ADDED,
        {"member": "刘大海"},
        staff,
    )


def test_places_are_written_within_scope(world, cadre, staff):
    _grant(cadre, "add_gridgroup", "add_community", "change_community")
    group = services.grid_group_create(
        actor=cadre, fields={"community": world.community_a, "name": "第三小组"}
    )
    assert group.community == world.community_a
    with pytest.raises(services.RegisterError):
        services.grid_group_create(
            actor=cadre, fields={"community": world.community_b, "name": "第三小组"}
        )
    with pytest.raises(PermissionDenied):  # a new community is in no one else's scope
        services.community_create(actor=cadre, fields={"name": "新社区"})
    with pytest.raises(Community.DoesNotExist):
        services.community_update(
            actor=cadre, community_id=world.community_b.pk, changes={"name": "改名"}
        )
    assert not GridGroup.objects.filter(community=world.community_b, name="第三小组").exists()


@pytest.mark.parametrize(
    "name",
    [
        "张伟明",
        "欧阳娜娜",  # a two-character surname, one word of the dictionary
        "曾国藩",  # 曾 read zeng as a surname, ceng elsewhere: the phrase decides
        "单田芳",
        "重庆长",
        "长孙无忌",
        "Tom 张",
        "王·伟",
        "李\u3000明",
        "Zhang Wei",
        "１２３",
        "",
        "下不了\n",  # not all Han: pypinyin cuts it 下 不 了 (le), not 下 不了 (liao)
    ],
)
def test_the_pinyin_of_a_name_is_pypinyins(name):
    # name_pinyin works each word of a name out once; the answer is lazy_pinyin's for the name
    from pypinyin import lazy_pinyin

    syllables = [p for chunk in lazy_pinyin(name, errors="default") for p in chunk.lower().split()]
    expected = ("".join(syllables)[:160], "".join(s[0] for s in syllables)[:40])
    services.name_pinyin.cache_clear()
    assert services.name_pinyin(name) == expected


def test_the_pinyin_of_many_names_is_pypinyins():
    import random

    from pypinyin import lazy_pinyin

    characters = "陈林王张李刘黄吴曾单解仇朴区查乐覃长重行朝都还会着了石柏欧阳司马诸葛伟明华英秀芳"
    rng = random.Random(9)
    names = {"".join(rng.choices(characters, k=rng.randint(1, 4))) for _ in range(2000)}
    for name in names:
        syllables = lazy_pinyin(name, errors="default")
        assert services.name_pinyin(name)[0] == "".join(syllables)[:160], name
