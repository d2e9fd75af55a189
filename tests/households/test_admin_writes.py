"""The admin's create, edit and delete screens write through the services: pinyin,
householder, history, Wagtail's log, fresh figures, and refusals said on the form."""

from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from households.importing import import_file
from households.models import Community, GridGroup, Household, HouseholdChange, Member
from households.selectors import register_version
from households.stats import register_stats_cached

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(db):
    community = Community.objects.create(name="北岙社区")
    group = GridGroup.objects.create(community=community, name="第1小组")
    return Household.objects.create(key="K1", community=community, grid_group=group)


def test_member_added_in_the_admin_is_found_by_pinyin_initials(client_for, household):
    client = client_for("staff")
    response = client.post(
        "/admin/register/members/new/",
        {
            "household": household.pk,
            "name": "张伟明",
            "relation": "householder",
            "category": "relative",
            "gender": "male",
            "mobile": "",
            "id_number": "",
            "country": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get(name="张伟明")
    assert member.name_initials == "zwm"
    household.refresh_from_db()
    assert household.householder_name == "张伟明"
    html = client.get("/admin/register/members/?q=zwm").content.decode()
    assert "张伟明" in html


def test_cached_statistics_change_as_soon_as_the_register_does(
    staff, household, tmp_path, django_capture_on_commit_callbacks
):
    before = register_stats_cached(user=staff)
    book = openpyxl.Workbook()
    book.active.append(["社区", "户主姓名", "姓名", "类别"])
    book.active.append(["北岙社区", "周伯", "周伯", "归侨"])
    path = Path(tmp_path / "r.xlsx")
    book.save(path)
    with django_capture_on_commit_callbacks(execute=True):
        import_file(path, write=True, actor=None)
    after = register_stats_cached(user=staff)
    assert after["members"] == before["members"] + 1
    assert after["by_category"]["returnee"] == before["by_category"]["returnee"] + 1


# --- the admin screens write through the services (the "two communities" world) ------------


def _household_form(household, **changes) -> dict:
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


def _member_form(member, **changes) -> dict:
    data = {
        "household": member.household_id,
        "name": member.name,
        "gender": member.gender,
        "birth_date": member.birth_date.isoformat() if member.birth_date else "",
        "relation": member.relation,
        "category": member.category,
        "country": member.country,
        "home_contact": member.home_contact_id or "",
        "mobile": member.mobile,
        "id_number": member.id_number,
        "user": member.user_id or "",
        "notes": member.notes,
    }
    return {**data, **changes}


def _edit(namespace: str, obj) -> str:
    return reverse(f"{namespace}:edit", args=[obj.pk])


def _delete(namespace: str, obj) -> str:
    return reverse(f"{namespace}:delete", args=[obj.pk])


def test_a_household_made_in_the_admin_has_its_history_and_wagtails_log(
    world, client_for, staff, django_capture_on_commit_callbacks
):
    version = register_version()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("staff").post(
            reverse("households_household:add"),
            {**_household_form(world.hA2, key="A2-009"), "address": "东港路9号"},
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    household = Household.objects.get(key="A2-009")
    change = household.changes.get()
    assert (change.kind, change.actor) == (HouseholdChange.Kind.CREATED, staff)
    assert ModelLogEntry.objects.filter(
        action="wagtail.create", object_id=str(household.pk), user=staff
    ).exists()
    assert register_version() > version  # cached figures dropped


def test_an_edit_records_the_fields_changed_but_never_their_values(world, client_for, staff):
    url = _edit("households_household", world.hA1)
    data = _household_form(world.hA1, address="新地址1号", home_phone="0580-7654321")
    response = client_for("staff").post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    change = world.hA1.changes.get()
    assert (change.kind, change.actor) == (HouseholdChange.Kind.UPDATED, staff)
    assert change.detail == {"fields": "地址、家庭电话"}
    assert ModelLogEntry.objects.filter(action="wagtail.edit", object_id=str(world.hA1.pk)).exists()


def test_a_move_and_a_status_change_are_their_own_history(world, client_for):
    url = _edit("households_household", world.hA1)
    data = _household_form(world.hA1, grid_group=world.a2.pk, status="moved_away")
    assert client_for("staff").post(url, data).status_code == 302
    kinds = {c.kind: c.detail for c in world.hA1.changes.all()}
    assert kinds[HouseholdChange.Kind.MOVED] == {
        "from_group": "东港社区 · 第一小组",
        "to_group": "东港社区 · 第二小组",
    }
    assert kinds[HouseholdChange.Kind.STATUS] == {"from": "在册", "to": "已迁出"}


def test_an_unchanged_save_writes_no_history(world, client_for):
    url = _edit("households_household", world.hA1)
    assert client_for("staff").post(url, _household_form(world.hA1)).status_code == 302
    assert not world.hA1.changes.exists()


def test_merged_is_set_by_merging_only(world, client_for):
    url = _edit("households_household", world.hA1)
    response = client_for("staff").post(
        url, _household_form(world.hA1, status="merged", address="新地址2号")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "要通过“合并”来设置" in html
    assert "新地址2号" in html  # what was typed is kept
    world.hA1.refresh_from_db()
    assert world.hA1.status == Household.Status.ACTIVE


def test_a_member_edit_keeps_pinyin_householder_and_history(world, client_for, staff):
    url = _edit("households_member", world.mA1)
    data = _member_form(world.mA1, name="陈家宏", mobile="139 0000 2222")
    response = client_for("staff").post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    world.mA1.refresh_from_db()
    assert (world.mA1.name_initials, world.mA1.mobile) == ("cjh", "+8613900002222")
    world.hA1.refresh_from_db()
    assert world.hA1.householder_name == "陈家宏"
    change = world.hA1.changes.get()
    assert change.kind == HouseholdChange.Kind.MEMBER_CHANGED
    assert change.detail == {"member": "陈家宏", "fields": "手机号码、姓名"}
    assert "13900002222" not in str(change.detail)


def test_moving_a_member_to_another_household_updates_both(world, client_for):
    url = _edit("households_member", world.mA1)
    assert (
        client_for("staff").post(url, _member_form(world.mA1, household=world.hA2.pk)).status_code
    )
    world.mA1.refresh_from_db()
    assert world.mA1.household == world.hA2
    world.hA1.refresh_from_db()
    assert world.hA1.householder_name == "王秀英"  # the first member left
    assert world.hA1.changes.filter(kind=HouseholdChange.Kind.MEMBER_CHANGED).exists()
    assert world.hA2.changes.filter(kind=HouseholdChange.Kind.MEMBER_CHANGED).exists()


def test_a_superuser_deletes_a_member_through_the_service(world, client_for, admin):
    response = client_for("admin").post(_delete("households_member", world.mA1b))
    assert response.status_code == 302
    assert not Member.objects.filter(pk=world.mA1b.pk).exists()
    world.hA1b.refresh_from_db()
    assert world.hA1b.householder_name == ""
    change = world.hA1b.changes.get()
    assert (change.kind, change.detail, change.actor) == (
        HouseholdChange.Kind.MEMBER_REMOVED,
        {"member": "刘雅琴"},
        admin,
    )
    assert ModelLogEntry.objects.filter(
        action="wagtail.delete", object_id=str(world.mA1b.pk)
    ).exists()


def test_a_household_with_members_is_not_deleted_and_the_page_says_why(world, client_for):
    client = client_for("admin")
    url = _delete("households_household", world.hA1b)
    response = client.post(url, follow=True)
    assert "这户还有成员，不能删除" in response.content.decode()
    assert Household.objects.filter(pk=world.hA1b.pk).exists()
    assert not ModelLogEntry.objects.filter(
        action="wagtail.delete", object_id=str(world.hA1b.pk)
    ).exists()  # the log entry went with the refused delete


def test_an_empty_household_is_deleted(world, client_for):
    client = client_for("admin")
    assert client.post(_delete("households_member", world.mA1b)).status_code == 302
    assert client.post(_delete("households_household", world.hA1b)).status_code == 302
    assert not Household.objects.filter(pk=world.hA1b.pk).exists()


def test_a_community_holding_households_is_not_deleted(world, client_for):
    url = _delete("households_community", world.community_b)
    response = client_for("admin").post(url, follow=True)
    assert "这个社区还有侨眷小组、侨户或联系责任，不能删除" in response.content.decode()
    assert Community.objects.filter(pk=world.community_b.pk).exists()


def test_a_grid_group_with_households_keeps_its_community(world, client_for):
    url = _edit("households_gridgroup", world.a1)
    response = client_for("staff").post(
        url, {"community": world.community_b.pk, "name": "第九小组"}
    )
    assert response.status_code == 200
    assert "这个小组里还有侨户，不能换到别的社区" in response.content.decode()
    world.a1.refresh_from_db()
    assert world.a1.community == world.community_a


def test_communities_and_groups_are_made_through_the_services(world, client_for):
    client = client_for("staff")
    response = client.post(
        reverse("households_community:add"), {"name": "南岙社区", "kind": "urban", "sort_order": 3}
    )
    assert response.status_code == 302
    south = Community.objects.get(name="南岙社区")
    response = client.post(
        reverse("households_gridgroup:add"), {"community": south.pk, "name": "第一小组"}
    )
    assert response.status_code == 302
    assert GridGroup.objects.filter(community=south, name="第一小组").exists()
    # the same name twice in one community: the form comes back with the reason
    again = client.post(
        reverse("households_gridgroup:add"), {"community": south.pk, "name": "第一小组"}
    )
    assert again.status_code == 200
