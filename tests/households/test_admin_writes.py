"""Saves through the admin forms do what the services do: pinyin, householder, fresh figures."""

from pathlib import Path

import openpyxl
import pytest

from households.importing import import_file
from households.models import Community, GridGroup, Household, Member
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
