"""The admin edit forms cannot move a household into a stranger's scope nor list people the
user may not see. The world is the "two communities" world of conftest.py."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from households import services
from households.forms import HouseholdAdminForm, MemberAdminForm
from households.models import Household, Member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _household_data(household: Household, **changes) -> dict:
    data = {
        "key": household.key,
        "community": household.community_id,
        "grid_group": household.grid_group_id or "",
        "address": household.address,
        "home_phone": household.home_phone,
        "notes": household.notes,
        "status": household.status,
        "status_date": "",
    }
    return {**data, **changes}


def _grant(user, *codenames: str) -> None:
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label="households")
        )


def test_staff_cannot_put_a_household_in_a_group_of_another_community(world, client_for):
    url = reverse("households_household:edit", args=[world.hA1.pk])
    response = client_for("staff").post(url, _household_data(world.hA1, grid_group=world.b1.pk))
    assert response.status_code == 200
    assert "这个侨眷小组不属于所选的社区" in response.content.decode()
    world.hA1.refresh_from_db()
    assert world.hA1.grid_group_id == world.a1.pk  # nothing changed


def test_staff_may_move_a_household_with_its_community(world, client_for):
    url = reverse("households_household:edit", args=[world.hA1.pk])
    data = _household_data(world.hA1, community=world.community_b.pk, grid_group=world.b1.pk)
    assert client_for("staff").post(url, data).status_code == 302
    world.hA1.refresh_from_db()
    assert (world.hA1.community_id, world.hA1.grid_group_id) == (world.community_b.pk, world.b1.pk)


def test_the_model_and_the_service_refuse_a_group_of_another_community(world, staff):
    world.hA1.grid_group = world.b1
    with pytest.raises(ValidationError) as refused:
        world.hA1.full_clean()
    assert "grid_group" in refused.value.message_dict
    with pytest.raises(services.RegisterError) as refused_by_service:
        services.household_update(
            actor=staff, household_id=world.hA1.pk, changes={"grid_group": world.b1}
        )
    assert refused_by_service.value.field == "grid_group"
    world.hA1.refresh_from_db()
    assert world.hA1.grid_group_id == world.a1.pk


def test_a_scoped_editor_is_offered_only_their_communities_and_groups(world, cadre):
    # a cadre of community A who was also given the right to edit households
    _grant(cadre, "change_household")
    form = HouseholdAdminForm(instance=world.hA1, for_user=cadre)
    assert set(form.fields["community"].queryset) == {world.community_a}
    assert set(form.fields["grid_group"].queryset) == {world.a1, world.a2}
    bound = HouseholdAdminForm(
        _household_data(world.hA1, community=world.community_b.pk, grid_group=world.b1.pk),
        instance=world.hA1,
        for_user=cadre,
    )
    assert not bound.is_valid()
    assert set(bound.errors) == {"community", "grid_group"}


def test_a_group_leader_cannot_leave_a_household_without_one_of_their_groups(world, group_leader):
    _grant(group_leader, "change_household")
    form = HouseholdAdminForm(
        _household_data(world.hA1, grid_group=""), instance=world.hA1, for_user=group_leader
    )
    assert not form.is_valid()
    assert "请选择你负责的侨眷小组" in str(form.errors["grid_group"])


def test_member_form_choices_are_scoped(world, cadre):
    _grant(cadre, "change_member")
    form = MemberAdminForm(instance=world.mA1, for_user=cadre)
    assert world.hB1 not in set(form.fields["household"].queryset)
    assert set(form.fields["home_contact"].queryset) == {world.mA1_relative}  # same household
    # the linked account decides who sees the household: only staff set it
    assert "user" not in form.fields


def test_staff_choose_the_account_among_those_not_linked_yet(world, staff, relative, outsider):
    free = UserFactory(name="新用户")
    choices = set(MemberAdminForm(instance=world.mA1, for_user=staff).fields["user"].queryset)
    assert free in choices
    assert relative not in choices and outsider not in choices  # linked to other members
    own = set(MemberAdminForm(instance=world.mA1_relative, for_user=staff).fields["user"].queryset)
    assert relative in own  # its own link stays choosable


def test_home_contact_from_another_household_is_refused(world):
    world.mA1.home_contact = world.mB1
    with pytest.raises(ValidationError) as refused:
        world.mA1.full_clean()
    assert "home_contact" in refused.value.message_dict


def test_member_numbers_typed_in_the_form_are_stored_normalised(world, client_for):
    url = reverse("households_member:edit", args=[world.mA1b.pk])
    member = world.mA1b
    data = {
        "household": member.household_id,
        "name": member.name,
        "gender": member.gender,
        "birth_date": "",
        "relation": member.relation,
        "category": member.category,
        "country": "",
        "home_contact": "",
        "mobile": "139 0000 1111",
        "id_number": member.id_number.lower(),
        "user": "",
        "notes": "",
    }
    assert client_for("staff").post(url, data).status_code == 302
    member.refresh_from_db()
    assert member.mobile == "+8613900001111"  # found again by the whole-number search
    bad = client_for("staff").post(url, {**data, "mobile": "12345"})
    assert bad.status_code == 200 and "手机号码“12345”不对" in bad.content.decode()
    assert Member.objects.get(pk=member.pk).mobile == "+8613900001111"
