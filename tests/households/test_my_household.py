import pytest

from households.models import Community, GridGroup, Household, Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(relative, outsider):
    community = Community.objects.create(name="西岙社区")
    group = GridGroup.objects.create(community=community, name="第1小组")
    mine = Household.objects.create(key="H1", community=community, grid_group=group, address="9幢")
    Member.objects.create(
        household=mine,
        name="王秀英",
        category="relative",
        relation="householder",
        user=relative,
        mobile="+8613812345678",
    )
    Member.objects.create(
        household=mine, name="王小明", category="overseas_chinese", country="CA", lives_abroad=True
    )
    theirs = Household.objects.create(key="H2", community=community, grid_group=group)
    Member.objects.create(household=theirs, name="外户人", category="relative", user=outsider)
    return mine


def test_a_relative_sees_their_own_household_only(client_for, home):
    html = client_for("relative").get("/me/household/").content.decode()
    assert "王小明" in html
    assert "加拿大" in html
    assert "138****5678" in html
    assert "外户人" not in html


def test_someone_not_in_the_register_is_told_whom_to_ask(client_for, home):
    html = client_for("volunteer").get("/me/household/").content.decode()
    assert "还没有和侨户名册关联" in html


def test_anonymous_must_log_in(client):
    assert client.get("/me/household/").status_code == 302
